from . import loyalty_club_review_preview
from . import loyalty_card_update_balance
from . import loyalty_club_tier_change
from . import base_partner_merge
