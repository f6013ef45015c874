"""The words the sync screens share: record types, fields, roles, statuses and sizes.

Marked with `N_` at module level and translated when shown, so a language switch reaches them.
"""

from __future__ import annotations

from ranger_app.i18n import N_, _
from ranger_app.i18n.formats import number

ENTITY_LABELS = {  # in the order a summary lists them: field records first, reference last
    "patrol": N_("Patrol"), "patrol_leg": N_("Patrol leg"), "leg_member": N_("Patrol member"),
    "track": N_("Track"), "observation": N_("Observation"), "attachment": N_("Photo or file"),
    "patrol_review": N_("Patrol review"), "fire_report": N_("Fire report"),
    "fire_status_step": N_("Fire status change"), "firms_hotspot": N_("FIRMS hotspot"),
    "feeding_site": N_("Feeding site"), "feeding_visit": N_("Feeding site visit"),
    "feed_item": N_("Feed put out"), "ungulate_sign": N_("Ungulate sign"),
    "predator_sign": N_("Predator sign"), "camera_location": N_("Camera location"),
    "camera": N_("Camera"), "deployment": N_("Camera deployment"),
    "service_visit": N_("Camera service visit"),
    "station": N_("Station"), "person": N_("Person"), "user_account": N_("User account"),
}
FIELD_LABELS = {  # the columns conflicts are about, as the editors label them
    "aircraft": N_("Aircraft"), "area_at_detection_ha": N_("Area at detection, ha"),
    "area_forest_ha": N_("Forest area, ha"), "area_ha": N_("Area, ha"),
    "area_nonforest_ha": N_("Non-forest area, ha"), "area_total_ha": N_("Total area, ha"),
    "armed": N_("Armed"), "batteries_replaced": N_("Batteries replaced"),
    "battery_type": N_("Battery type"), "capacity": N_("Capacity"), "caption": N_("Caption"),
    "category": N_("Category"), "cause": N_("Cause"), "checked": N_("Checked"), "code": N_("Code"),
    "comment": N_("Comment"), "condition": N_("Condition"), "confidence": N_("Confidence"),
    "count": N_("Count"), "country": N_("Country"), "crew": N_("Crew"), "deleted": N_("Deleted"),
    "detected_at": N_("Detected"), "detected_by": N_("Detected by"), "end_at": N_("End"),
    "feature": N_("Feature"), "feed_type": N_("Feed type"), "fire_status": N_("Fire status"),
    "fire_type": N_("Fire type"), "first_image_at": N_("First image"),
    "forest_district": N_("Forest district"), "freshness": N_("Freshness"),
    "fuel_type": N_("Fuel type"), "habitat": N_("Habitat"), "intensity": N_("Intensity"),
    "kind": N_("Kind"), "land_category": N_("Land category"), "last_image_at": N_("Last image"),
    "lat": N_("Latitude"), "locality": N_("Locality"), "lon": N_("Longitude"), "make": N_("Make"),
    "mandate": N_("Mandate"), "model": N_("Model"), "name": N_("Name"), "note": N_("Note"),
    "notes": N_("Notes"), "number": N_("Number"), "official_number": N_("Official number"),
    "patrol_type": N_("Patrol type"), "people": N_("People"), "perimeter": N_("Perimeter"),
    "points": N_("Points"), "pumps": N_("Pumps"), "report_kind": N_("Report kind"),
    "satellite": N_("Satellite"), "serial": N_("Serial"), "site_type": N_("Site type"),
    "species": N_("Species"), "start_at": N_("Start"), "state": N_("State"),
    "status": N_("Status"), "target_species": N_("Target species"), "transport": N_("Transport"),
    "visit_type": N_("Visit type"), "visited_at": N_("Visited"),
}
ROLE_LABELS = {"station": N_("station"), "hq": N_("HQ"), "partner": N_("partner park"),
               "backup": N_("backup key")}
STATUS_LABELS = {"trusted": N_("trusted"), "quarantined": N_("not confirmed yet"),
                 "revoked": N_("revoked"), "pending": N_("waits for earlier bundles")}
KIND_LABELS = {
    "data": N_("New and changed records"),
    "ack": N_("HQ's updates and acknowledgement"),
    "snapshot": N_("Everything (to set up a new installation)"),
    "partner": N_("Agreed records for the partner park only"),
}
CONFLICT_KINDS = {
    "field": N_("changed at two places"),
    "delete": N_("deleted at one place, edited at another"),
    "amendment": N_("change to an approved record"),
    "insert": N_("created at two places"),
}


def size_text(n: int) -> str:
    if n >= 1_000_000_000:
        return _("{value} GB").format(value=number(n / 1e9, 1))
    return _("{value} MB").format(value=number(n / 1e6, 1))


def entity_label(entity: str) -> str:
    return _(ENTITY_LABELS[entity]) if entity in ENTITY_LABELS else entity


def field_label(field: str) -> str:
    return _(FIELD_LABELS[field]) if field in FIELD_LABELS else field


def label_for(table: dict[str, str], key: str) -> str:
    return _(table[key]) if key in table else key
