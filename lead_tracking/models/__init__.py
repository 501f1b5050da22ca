from . import utm_source
from . import lead_tracking_spend
