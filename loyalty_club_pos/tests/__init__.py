from . import test_install
from . import test_pos_club
from . import test_pos_club_refund
from . import test_tours
