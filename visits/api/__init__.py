"""REST API of visits (SPEC §4, §7): record and list visits (visits.py), photos, the map layer (geo.py) and the
ledger export (exports.py, imported by urls.py directly: it imports visits.tasks, which imports this package)."""

from visits.api.geo import GeoVisits
from visits.api.photos import VisitPhotoFile, VisitPhotoUpload
from visits.api.serializers import VisitSerializer
from visits.api.visits import VisitDetail, VisitListCreate, filtered_visits
from visits.models import Visit

# The ledger code (visits/tasks.py) reads these two from here; the plain homes are Visit.target_label and
# visits.selectors.visits_filtered, which it may import instead without going through the API package.
target_label = Visit.target_label

__all__ = [
    "GeoVisits",
    "VisitDetail",
    "VisitListCreate",
    "VisitPhotoFile",
    "VisitPhotoUpload",
    "VisitSerializer",
    "filtered_visits",
    "target_label",
]
