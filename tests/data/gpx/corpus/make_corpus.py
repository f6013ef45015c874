"""Writes the GPX dialect corpus and its expected figures: `python make_corpus.py`.

Each file imitates what one kind of device or planner writes (Garmin handhelds with their
extensions, GPX 1.0 loggers, Strava-like rides, route planners, waypoint-only exports, old
handhelds whose clock never fixed, files with a BOM, UTF-16, windows-1251, out-of-spec
values) over tracks whose length this script knows from its own geometry. `expected.csv`
holds, per file and import options, the exit code and what a user would check: points,
waypoints, planned-route points, recorded km and the km used for effort.

The corpus is written by this script (committed with its output); no file is copied from
another project. Lengths use the haversine on the IUGG mean radius, computed here on its
own, not by the application.
"""

from __future__ import annotations

import csv
import math
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path

HERE = Path(__file__).resolve().parent
R = 6_371_008.8
GPX11 = 'xmlns="http://www.topografix.com/GPX/1/1"'
GPX10 = 'xmlns="http://www.topografix.com/GPX/1/0"'
GARMIN_NS = ('xmlns:gpxtpx="http://www.garmin.com/xmlschemas/TrackPointExtension/v1" '
             'xmlns:gpxx="http://www.garmin.com/xmlschemas/GpxExtensions/v3"')
T0 = datetime(2024, 4, 20, 23, 30, tzinfo=UTC)  # 09:30 at the park (UTC+10)


def haversine(a: tuple[float, float], b: tuple[float, float]) -> float:
    (la1, lo1), (la2, lo2) = a, b
    p1, p2 = math.radians(la1), math.radians(la2)
    dp, dl = p2 - p1, math.radians(lo2 - lo1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * R * math.asin(min(1.0, math.sqrt(h)))


def line(start: tuple[float, float], n: int, step_m: float, bearing_deg: float = 30.0
         ) -> list[tuple[float, float]]:
    """n points `step_m` apart on a rhumb-ish line (small steps: exact enough, and the
    expected length is measured on these very points)."""
    lat, lon = start
    out = [(lat, lon)]
    b = math.radians(bearing_deg)
    for _ in range(n - 1):
        lat += math.degrees(step_m * math.cos(b) / R)
        lon += math.degrees(step_m * math.sin(b) / (R * math.cos(math.radians(lat))))
        out.append((round(lat, 7), round(lon, 7)))
    return out


def length_km(points: list[tuple[float, float]]) -> float:
    return sum(haversine(a, b) for a, b in pairwise(points)) / 1000


def stamp(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def trkpts(points: list[tuple[float, float]], t0: datetime | None, dt_s: float,
           extra: str = "", tag: str = "trkpt") -> str:
    out = []
    for i, (lat, lon) in enumerate(points):
        time = f"<time>{stamp(t0 + timedelta(seconds=i * dt_s))}</time>" if t0 else ""
        out.append(f'<{tag} lat="{lat}" lon="{lon}"><ele>{200 + i % 7}</ele>{time}'
                   f"{extra}</{tag}>")
    return "".join(out)


def doc(body: str, ns: str = GPX11, version: str = "1.1", creator: str = "test",
        extra_ns: str = "") -> str:
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<gpx version="{version}" '
            f'creator="{creator}" {ns} {extra_ns}>\n{body}\n</gpx>\n')


Row = dict[str, object]
ROWS: list[Row] = []


def write(name: str, text: str | bytes, *, args: str = "", exit_code: int = 0,
          points: int = 0, waypoints: int = 0, route_points: int = 0,
          recorded_km: float = 0.0, effort_km: float | None = None, flagged: int = 0,
          what: str = "") -> None:
    data = text.encode("utf-8") if isinstance(text, str) else text
    (HERE / name).write_bytes(data)
    ROWS.append({
        "file": name, "args": args, "exit": exit_code, "points": points,
        "waypoints": waypoints, "route_points": route_points,
        "recorded_km": f"{recorded_km:.3f}",
        "effort_km": f"{recorded_km if effort_km is None else effort_km:.3f}",
        "flagged": flagged, "what": what})


def main() -> None:
    walk = line((43.10, 131.40), 241, 5.6)  # 4 km/h at 5 s: 1.34 km, on foot
    walk_km = length_km(walk)
    garmin_ext = ("<extensions><gpxtpx:TrackPointExtension><gpxtpx:hr>96</gpxtpx:hr>"
                  "</gpxtpx:TrackPointExtension></extensions>")
    write("garmin_gpsmap_11.gpx", doc(
        f"<metadata><time>{stamp(T0)}</time></metadata><trk><name>ACTIVE LOG</name>"
        f"<trkseg>{trkpts(walk, T0, 5, garmin_ext)}</trkseg></trk>",
        creator="GPSMAP 66s", extra_ns=GARMIN_NS),
        points=241, recorded_km=walk_km, what="Garmin GPX 1.1 with TrackPointExtension")

    a, b, c = walk[:80], walk[80:160], walk[160:]
    write("garmin_etrex_segments.gpx", doc(
        "<trk><name>Track 1</name>"
        f"<trkseg>{trkpts(a, T0, 5)}</trkseg>"
        f"<trkseg>{trkpts(b, T0 + timedelta(seconds=80 * 5 + 600), 5)}</trkseg>"
        f"<trkseg>{trkpts(c, T0 + timedelta(seconds=160 * 5 + 1200), 5)}</trkseg></trk>",
        creator="eTrex 32x"),
        points=241, recorded_km=length_km(a) + length_km(b) + length_km(c),
        what="three segments: signal lost twice")

    write("gpx10_logger.gpx", doc(
        f"<time>{stamp(T0)}</time><trk><name>DG-100</name><trkseg>"
        + trkpts(walk, T0, 5, "<course>30.0</course><speed>1.1</speed><sat>7</sat>")
        + "</trkseg></trk>", ns=GPX10, version="1.0", creator="GPSBabel"),
        points=241, recorded_km=walk_km, what="GPX 1.0 logger with speed/course/sat")

    ride = line((43.05, 131.30), 361, 27.8)  # 20 km/h at 5 s: 10 km by bicycle
    ride_km = length_km(ride)
    ride_doc = doc("<trk><name>Morning Ride</name><type>cycling</type><trkseg>"
                   + trkpts(ride, T0, 5) + "</trkseg></trk>", creator="StravaGPX")
    write("strava_ride.gpx", ride_doc, args="--transport BICYCLE", points=361,
          recorded_km=ride_km, what="a ride imported as a bicycle leg")
    write("strava_ride_as_foot.gpx", ride_doc, points=361, recorded_km=ride_km,
          effort_km=0.0, flagged=360,
          what="the same ride left on foot: every point after the first too fast, said")

    route = line((43.20, 131.50), 25, 400.0)
    write("planner_route_only.gpx", doc(
        "<rte><name>Маршрут на Кедровую</name>" + trkpts(route, None, 0, tag="rtept")
        + "</rte>", creator="outdooractive"),
        exit_code=3, what="a planned route, no times: asks for --start/--end")
    write("planner_route_with_start.gpx", doc(
        "<rte><name>Маршрут</name>" + trkpts(route, None, 0, tag="rtept") + "</rte>",
        creator="CalTopo"),
        args="--start 2024-04-21T09:00 --end 2024-04-21T17:00", route_points=25,
        what="a planned route with the patrol's times given: the plan, no effort")

    wpts = "".join(f'<wpt lat="{lat}" lon="{lon}"><name>WP{i:02d}</name>'
                   f"<desc>Петля {i}</desc></wpt>" for i, (lat, lon) in enumerate(route[:6]))
    write("waypoints_only.gpx", doc(wpts, creator="Basecamp"), exit_code=3,
          what="waypoints without times: asks for --start/--end")
    write("waypoints_only_with_start.gpx", doc(wpts, creator="Basecamp"),
          args="--start 2024-04-21T09:00 --end 2024-04-21T12:00", waypoints=6,
          what="waypoints with the patrol's times given")
    timed = "".join(f'<wpt lat="{lat}" lon="{lon}"><time>{stamp(T0 + timedelta(hours=i))}'
                    f"</time><name>{i:03d}</name><sym>Flag, Blue</sym></wpt>"
                    for i, (lat, lon) in enumerate(route[:4]))
    write("waypoints_timed.gpx", doc(timed, creator="GPSMAP 64st"), waypoints=4,
          what="timed waypoints date the patrol")

    plan = line((43.30, 131.10), 60, 50.0)
    plan_doc = doc("<trk><name>Planned</name><trkseg>" + trkpts(plan, None, 0)
                   + "</trkseg></trk>", creator="AllTrails")
    write("alltrails_untimed_track.gpx", plan_doc, exit_code=3,
          what="a drawn track with no times")
    write("alltrails_untimed_track_with_start.gpx", plan_doc,
          args="--start 2024-04-21T09:00 --end 2024-04-21T14:00", points=60,
          recorded_km=length_km(plan), what="the drawn track with the patrol's times given")

    cyrillic = doc("<trk><name>Обход кордона «Кедровая падь»</name><trkseg>"
                   + trkpts(walk[:100], T0, 5) + "</trkseg></trk>")
    write("bom_utf8.gpx", codecs_bom() + cyrillic.encode("utf-8"), points=100,
          recorded_km=length_km(walk[:100]), what="UTF-8 with a byte-order mark")
    write("utf16.gpx", cyrillic.replace('encoding="UTF-8"', 'encoding="UTF-16"')
          .encode("utf-16"), points=100, recorded_km=length_km(walk[:100]),
          what="UTF-16 with a BOM")
    write("windows1251.gpx", cyrillic.replace('encoding="UTF-8"', 'encoding="windows-1251"')
          .encode("cp1251"), points=100, recorded_km=length_km(walk[:100]),
          what="OziExplorer-style windows-1251")

    bad_fix = trkpts(walk[:50], T0, 5, "<fix>something_not_in_the_spec</fix>")
    write("out_of_spec_fix.gpx", doc(f"<trk><trkseg>{bad_fix}</trkseg></trk>"), points=50,
          recorded_km=length_km(walk[:50]), what="<fix> outside the schema: skipped")
    bad_ele = trkpts(walk[:50], T0, 5).replace("<ele>203</ele>", "<ele>n/a</ele>")
    write("out_of_spec_ele.gpx", doc(f"<trk><trkseg>{bad_ele}</trkseg></trk>"), points=50,
          recorded_km=length_km(walk[:50]), what="<ele>n/a</ele>: that value skipped")

    for name, t in (("clock_1989.gpx", datetime(1989, 12, 31, tzinfo=UTC)),
                    ("clock_1901.gpx", datetime(1901, 12, 13, 20, 45, 52, tzinfo=UTC))):
        body = doc("<trk><trkseg>" + trkpts(walk[:40], t, 1) + "</trkseg></trk>",
                   creator="eTrex Legend")
        write(name, body, exit_code=3, what="a clock that never fixed: asks for times")
    instant = doc("<trk><trkseg>" + trkpts(walk[:40], T0, 0) + "</trkseg></trk>")
    write("clock_one_instant.gpx", instant, args="--start 2024-04-21T09:00 "
          "--end 2024-04-21T10:00", points=40, recorded_km=length_km(walk[:40]),
          what="every point at one instant: times not used, patrol times given")

    track_and_route = doc(
        "<rte><name>План</name>" + trkpts(route, None, 0, tag="rtept") + "</rte>"
        "<trk><name>Факт</name><trkseg>" + trkpts(walk, T0, 5) + "</trkseg></trk>")
    write("track_and_route.gpx", track_and_route, points=241, route_points=25,
          recorded_km=walk_km, what="the plan is kept apart and never added to the km")

    drive = line((43.00, 131.00), 121, 250.0)  # 60 km/h at 15 s
    foot = line(drive[-1], 121, 7.0)
    t_foot = T0 + timedelta(seconds=120 * 15 + 300)
    write("ranger_export_legs.gpx", doc(
        "<trk><name>BAR-2024-0001 / 1</name><type>VEHICLE</type><desc>Team: Иван Петров"
        "</desc><trkseg>" + trkpts(drive, T0, 15) + "</trkseg></trk>"
        "<trk><name>BAR-2024-0001 / 2</name><type>FOOT</type><trkseg>"
        + trkpts(foot, t_foot, 5) + "</trkseg></trk>"
        f'<wpt lat="{foot[10][0]}" lon="{foot[10][1]}"><time>'
        f"{stamp(t_foot + timedelta(seconds=50))}</time><name>001</name>"
        "<desc>Snare\nстальная петля</desc><type>SNARE</type></wpt>",
        creator="Ranger Field Log"),
        points=242, waypoints=1, recorded_km=length_km(drive) + length_km(foot),
        what="our own export: a vehicle leg and a foot leg, each keeps its transport")

    offsets = "".join(
        f'<trkpt lat="{lat}" lon="{lon}"><time>'
        f"{(T0 + timedelta(seconds=5 * i)).astimezone().isoformat(timespec='milliseconds')}"
        "</time></trkpt>" for i, (lat, lon) in enumerate(walk[:60]))
    write("times_with_offsets.gpx", doc(f"<trk><trkseg>{offsets}</trkseg></trk>"),
          points=60, recorded_km=length_km(walk[:60]),
          what="times with a zone offset and milliseconds")

    # --- files a user must fix: exit 3, nothing written
    write("kml_renamed.gpx", '<?xml version="1.0"?><kml xmlns="http://www.opengis.net/kml/'
          '2.2"><Document/></kml>', exit_code=3, what="a KML file named .gpx")
    write("truncated.gpx", doc(f"<trk><trkseg>{trkpts(walk, T0, 5)}</trkseg></trk>")[:4000],
          exit_code=3, what="cut short mid-file")
    write("latitude_95.gpx", doc('<trk><trkseg><trkpt lat="95" lon="131.1"/></trkseg></trk>'),
          exit_code=3, what="an impossible position")
    write("empty.gpx", doc(""), exit_code=3, what="no points and no waypoints")
    write("future_times.gpx", doc("<trk><trkseg>" + trkpts(
        walk[:10], datetime(2099, 1, 1, tzinfo=UTC), 5) + "</trkseg></trk>"),
        exit_code=3, what="a clock set in the far future")

    with (HERE / "expected.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(ROWS[0]))
        writer.writeheader()
        writer.writerows(ROWS)
    print(f"{len(ROWS)} files written to {HERE}")


def codecs_bom() -> bytes:
    return b"\xef\xbb\xbf"


if __name__ == "__main__":
    main()
