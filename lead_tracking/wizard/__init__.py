from . import lead_tracking_report_export
from . import lead_tracking_duplicate_wizard
