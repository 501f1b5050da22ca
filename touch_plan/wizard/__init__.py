from . import touch_plan_occasion_fill
from . import touch_plan_enroll_wizard
from . import base_partner_merge
from . import touch_plan_export_xlsx
