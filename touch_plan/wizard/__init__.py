from . import touch_plan_occasion_fill
