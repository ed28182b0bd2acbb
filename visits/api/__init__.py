"""REST API of visits (SPEC §4, §7): record and list visits (visits.py), photos, the map layer (geo.py) and the
ledger export (exports.py, through campaign.exports)."""

from visits.api.exports import VisitExport
from visits.api.geo import GeoVisits
from visits.api.photos import VisitPhotoFile, VisitPhotoUpload
from visits.api.serializers import VisitSerializer
from visits.api.visits import VisitDetail, VisitListCreate

__all__ = [
    "GeoVisits",
    "VisitDetail",
    "VisitExport",
    "VisitListCreate",
    "VisitPhotoFile",
    "VisitPhotoUpload",
    "VisitSerializer",
]
