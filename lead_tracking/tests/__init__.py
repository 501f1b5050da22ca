from . import test_install
from . import test_attribution
from . import test_speed_to_lead
from . import test_reports
from . import test_cleansing
from . import test_nurture
from . import test_tours
from . import test_funnel_cube
