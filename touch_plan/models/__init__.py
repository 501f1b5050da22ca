from . import touch_plan
