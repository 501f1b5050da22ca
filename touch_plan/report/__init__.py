from . import touch_plan_sql_report
from . import touch_plan_touch_report
from . import touch_plan_client_report
from . import touch_plan_label_report
