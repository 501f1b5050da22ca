from . import loyalty_card
from . import loyalty_history
from . import loyalty_program
from . import pos_order
from . import account_move
