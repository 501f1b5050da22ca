from . import loyalty_club_pareto_report
from . import loyalty_club_points_report
from . import loyalty_club_tier_report
