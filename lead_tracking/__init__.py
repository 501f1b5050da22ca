from . import models
from . import report
from . import wizard
from .report.lead_tracking_funnel_cube import drop_funnel_cube_triggers


def uninstall_hook(env):
    # the funnel cube's triggers live on crm_lead and crm_stage, which stay
    drop_funnel_cube_triggers(env.cr)
