from . import lead_tracking_funnel_report
from . import lead_tracking_cost_report
from . import lead_tracking_funnel_cube
