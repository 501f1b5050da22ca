from . import test_install
from . import test_occasion
from . import test_key_date
from . import test_touch_engine
from . import test_touch_cron
from . import test_touch_consent
from . import test_touch_access
from . import test_touch_referral
