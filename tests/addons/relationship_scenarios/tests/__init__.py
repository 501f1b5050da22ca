from . import test_product_installed
from . import test_external_api
from . import test_referral_loop
from . import test_translations
