from . import loyalty_club_review_preview
