from . import loyalty_program
from . import loyalty_club_tier
