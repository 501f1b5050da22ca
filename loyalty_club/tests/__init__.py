from . import test_install
from . import test_club_ledger
from . import test_club_review
from . import test_club_concurrency
from . import test_club_portal
from . import test_club_credit_note
from . import test_club_access
