from . import lead_tracking_report_export
