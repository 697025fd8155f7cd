#!/usr/bin/env python3
"""Independent consistency check of the sample data (standard library only).

Usage:  python3 data/check_sample.py [--determinism]

Reads the three GeoJSON files as written (it does not import make_sample.py)
and checks the file contract, geometry validity and the sample-data bars;
then checks NRW's outline (nrw-outline.geojson, not generated: Natural Earth)
and that every seat, procedure position and report lies inside it.
With --determinism it additionally runs make_sample.py twice and verifies
that the output is byte-identical.  Exits non-zero on the first failure.
"""

import datetime as dt
import hashlib
import json
import math
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TODAY = dt.date(2026, 11, 23)
ORG_KINDS = {"state", "regional_government", "district", "municipality", "ministry", "state_agency"}
PROC_KINDS = {"dialog", "survey", "event", "formal_procedure", "land_use_plan", "reporting"}
REPORT_STATUSES = {"submitted", "published", "in_progress", "resolved", "rejected"}
REQUIRED_ORGS = {"land-nrw", "stadt-siegen", "kreis-paderborn", "stadt-koeln", "bezirksregierung-muenster",
                 "justizministerium-nrw"}
URL_RE = re.compile(r"^https://beteiligung\.nrw\.de/portal/([a-z0-9-]+)/beteiligung/themen/[0-9]+$")
CREATED_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
SLUG_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
CODE_RE = re.compile(r"^[a-z]+(_[a-z]+)*$")
NUM_RE = re.compile(r"-?\d+\.\d+")


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def load(name):
    path = os.path.join(HERE, name)
    with open(path, encoding="utf-8") as f:
        text = f.read()
    doc = json.loads(text)
    if doc.get("type") != "FeatureCollection" or not isinstance(doc.get("features"), list):
        fail(f"{name}: not a FeatureCollection")
    for feat in doc["features"]:
        if feat.get("type") != "Feature" or "geometry" not in feat or not isinstance(feat.get("properties"), dict):
            fail(f"{name}: malformed feature")
    # every coordinate number has exactly 6 decimals
    for line in text.splitlines():
        s = line.strip()
        if s.startswith("[") and not s.startswith("[{"):
            for num in NUM_RE.findall(s):
                if len(num.split(".")[1]) != 6:
                    fail(f"{name}: coordinate {num} does not have 6 decimals")
        if '"coordinates": [' in s and s.endswith("]"):
            for num in NUM_RE.findall(s):
                if len(num.split(".")[1]) != 6:
                    fail(f"{name}: coordinate {num} does not have 6 decimals")
    return doc["features"]


# --- geometry --------------------------------------------------------------

def to_int(p):
    return (int(round(p[0] * 1e6)), int(round(p[1] * 1e6)))


def orient(a, b, c):
    v = (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])
    return (v > 0) - (v < 0)


def on_seg(a, b, c):
    return min(a[0], b[0]) <= c[0] <= max(a[0], b[0]) and min(a[1], b[1]) <= c[1] <= max(a[1], b[1])


def seg_x(p1, p2, p3, p4):
    d1, d2, d3, d4 = orient(p3, p4, p1), orient(p3, p4, p2), orient(p1, p2, p3), orient(p1, p2, p4)
    if d1 != d2 and d3 != d4:
        return True
    return ((d1 == 0 and on_seg(p3, p4, p1)) or (d2 == 0 and on_seg(p3, p4, p2))
            or (d3 == 0 and on_seg(p1, p2, p3)) or (d4 == 0 and on_seg(p1, p2, p4)))


def check_position(p, what):
    if not (isinstance(p, list) and len(p) == 2 and all(isinstance(v, (int, float)) for v in p)):
        fail(f"{what}: bad position {p}")
    lon, lat = p
    if not (5.8 <= lon <= 9.5 and 50.3 <= lat <= 52.6):
        fail(f"{what}: position {p} outside NRW")


def check_ring(ring, exterior, what):
    if len(ring) < 4:
        fail(f"{what}: fewer than 4 positions")
    for p in ring:
        check_position(p, what)
    r = [to_int(p) for p in ring]
    if r[0] != r[-1]:
        fail(f"{what}: ring not closed")
    if len(set(r[:-1])) != len(r) - 1:
        fail(f"{what}: repeated vertex")
    a2 = sum(r[i][0] * r[i + 1][1] - r[i + 1][0] * r[i][1] for i in range(len(r) - 1))
    if exterior and a2 <= 0:
        fail(f"{what}: exterior ring is not counter-clockwise")
    if not exterior and a2 >= 0:
        fail(f"{what}: hole is not clockwise")
    n = len(r) - 1
    for i in range(n):
        for j in range(i + 2, n):
            if i == 0 and j == n - 1:
                continue
            if seg_x(r[i], r[i + 1], r[j], r[j + 1]):
                fail(f"{what}: self-intersection (edges {i}, {j})")
    return n


def polygons_of(geom):
    if geom is None or geom["type"] == "Point":
        return []
    if geom["type"] == "Polygon":
        return [geom["coordinates"]]
    if geom["type"] == "MultiPolygon":
        return geom["coordinates"]
    fail(f"unexpected geometry type {geom['type']}")


def area_km2(ring):
    lat0 = ring[0][1]
    kx = 111.32 * math.cos(math.radians(lat0))
    xy = [(p[0] * kx, p[1] * 111.2) for p in ring]
    return sum(xy[i][0] * xy[i + 1][1] - xy[i + 1][0] * xy[i][1] for i in range(len(xy) - 1)) / 2


def pip(x, y, ring):
    inside = False
    for i in range(len(ring) - 1):
        (x1, y1), (x2, y2) = ring[i], ring[i + 1]
        if (y1 > y) != (y2 > y) and x1 + (y - y1) * (x2 - x1) / (y2 - y1) > x:
            inside = not inside
    return inside


def inside_margin(lon, lat, polys):
    kx = 111320.0 * math.cos(math.radians(lat))
    ky = 111200.0
    inside, dmin = False, float("inf")
    for rings in polys:
        if pip(lon, lat, rings[0]) and not any(pip(lon, lat, h) for h in rings[1:]):
            inside = True
        for ring in rings:
            for i in range(len(ring) - 1):
                x1, y1 = (ring[i][0] - lon) * kx, (ring[i][1] - lat) * ky
                x2, y2 = (ring[i + 1][0] - lon) * kx, (ring[i + 1][1] - lat) * ky
                dx, dy = x2 - x1, y2 - y1
                L2 = dx * dx + dy * dy
                t = 0 if L2 == 0 else max(0.0, min(1.0, -(x1 * dx + y1 * dy) / L2))
                dmin = min(dmin, math.hypot(x1 + t * dx, y1 + t * dy))
    return inside, dmin


def check_outline(orgs, procs, reps):
    """NRW's outline: one valid Polygon of a sensible size, holding all the sample's places."""
    name = "nrw-outline.geojson"
    size = os.path.getsize(os.path.join(HERE, name))
    feats = load(name)
    if len(feats) != 1:
        fail(f"{name}: {len(feats)} features, expected one")
    props, geom = feats[0]["properties"], feats[0]["geometry"]
    if props.get("name") != "Nordrhein-Westfalen" or not props.get("source") or not props.get("license"):
        fail(f"{name}: name, source and license must be named")
    if not geom or geom["type"] != "Polygon" or len(geom["coordinates"]) != 1:
        fail(f"{name}: expected a Polygon without holes")
    ring = geom["coordinates"][0]
    n = check_ring(ring, True, name)
    if not 300 <= n <= 2000 or size >= 100_000:
        fail(f"{name}: {n} vertices, {size} bytes (want 300..2000 vertices, < 100 KB)")
    lons, lats = [p[0] for p in ring], [p[1] for p in ring]
    bbox = (min(lons), min(lats), max(lons), max(lats))
    want = (5.86, 50.32, 9.46, 52.53)
    if any(abs(a - b) > 0.05 for a, b in zip(bbox, want)):
        fail(f"{name}: bbox {bbox} is not NRW's {want}")
    area = area_km2(ring)
    if not 33_000 <= area <= 35_500:  # NRW: 34,112 km²
        fail(f"{name}: area {area:.0f} km² is not NRW's")
    places = [(f["properties"]["key"], f["geometry"]["coordinates"]) for f in orgs]
    for f in procs:
        for rings in polygons_of(f["geometry"]):
            places += [(f["properties"]["external_id"], p) for p in rings[0]]
        if f["geometry"] and f["geometry"]["type"] == "Point":
            places.append((f["properties"]["external_id"], f["geometry"]["coordinates"]))
    places += [("report", f["geometry"]["coordinates"]) for f in reps]
    for what, (lon, lat) in places:
        if not pip(lon, lat, ring):
            fail(f"{what}: position {lon}, {lat} lies outside NRW's outline")
    print("outline: %d vertices, %d bytes, bbox %.4f,%.4f - %.4f,%.4f, %.0f km²; %d sample positions inside"
          % ((n, size) + bbox + (area, len(places))))


def derived_status(start, end):
    if dt.date.fromisoformat(start) > TODAY:
        return "upcoming"
    if end is not None and dt.date.fromisoformat(end) < TODAY:
        return "closed"
    return "running"


# --- main ------------------------------------------------------------------

def main():
    if "--determinism" in sys.argv:
        digests = []
        for _ in range(2):
            subprocess.run([sys.executable, os.path.join(HERE, "make_sample.py")], check=True,
                           stdout=subprocess.DEVNULL)
            h = hashlib.sha256()
            for name in ("organisations.geojson", "procedures.geojson", "reports.geojson", "README.md"):
                with open(os.path.join(HERE, name), "rb") as f:
                    h.update(f.read())
            digests.append(h.hexdigest())
        if digests[0] != digests[1]:
            fail("make_sample.py output is not deterministic")
        print("determinism: two runs byte-identical (sha256 %s)" % digests[0][:16])

    orgs = load("organisations.geojson")
    procs = load("procedures.geojson")
    reps = load("reports.geojson")

    # organisations
    keys = {}
    for f in orgs:
        p = f["properties"]
        k = p.get("key")
        if not isinstance(k, str) or not SLUG_RE.match(k):
            fail(f"organisation key {k!r} is not a slug")
        if k in keys:
            fail(f"duplicate organisation key {k}")
        if p.get("kind") not in ORG_KINDS or not p.get("name"):
            fail(f"{k}: bad kind/name")
        if "ags" in p and not (isinstance(p["ags"], str) and p["ags"].isdigit() and len(p["ags"]) in (2, 3, 5, 8)):
            fail(f"{k}: bad ags")
        if p["kind"] == "state":
            if "parent" in p:
                fail(f"{k}: state has a parent")
        elif p.get("parent") not in keys:
            fail(f"{k}: parent {p.get('parent')} missing or not listed before the child")
        origins = p.get("embed_origins", [])
        if not (isinstance(origins, list) and all(isinstance(o, str) and re.fullmatch(r"https?://[a-z0-9.-]+(:[0-9]{1,5})?", o) for o in origins)):
            fail(f"{k}: embed_origins must be a list of origins")
        if set(p) - {"key", "name", "kind", "ags", "parent", "embed_origins"}:
            fail(f"{k}: unexpected properties")
        g = f["geometry"]
        if not g or g["type"] != "Point":
            fail(f"{k}: seat is not a Point")
        check_position(g["coordinates"], k)
        keys[k] = p
    missing = REQUIRED_ORGS - set(keys)
    if missing:
        fail(f"missing organisations {missing}")
    for k, p in keys.items():  # kind-specific parents
        par = keys.get(p.get("parent"), {}).get("kind")
        if p["kind"] in ("ministry", "state_agency", "regional_government") and par != "state":
            fail(f"{k}: parent must be the state")
        if p["kind"] == "district" and par != "regional_government":
            fail(f"{k}: district parent must be a regional government")
        if p["kind"] == "municipality" and par not in ("regional_government", "district"):
            fail(f"{k}: municipality parent must be a regional government or district")
    for child, chain in (("stadt-siegen", ["kreis-siegen-wittgenstein", "bezirksregierung-arnsberg", "land-nrw"]),
                         ("stadt-paderborn", ["kreis-paderborn", "bezirksregierung-detmold", "land-nrw"])):
        cur, got = child, []
        while "parent" in keys[cur]:
            cur = keys[cur]["parent"]
            got.append(cur)
        if got != chain:
            fail(f"{child}: hierarchy {got} != {chain}")

    # procedures
    proc_by = {}
    kinds, statuses, geoms = {}, {}, {}
    vertex_range = [10 ** 9, 0]
    area_by_kind = {}
    for f in procs:
        p = f["properties"]
        ident = (p.get("organisation"), p.get("external_id"))
        if ident[0] not in keys:
            fail(f"{ident}: unknown organisation")
        if not isinstance(ident[1], str) or not ident[1]:
            fail(f"{ident}: bad external_id")
        if ident in proc_by:
            fail(f"duplicate procedure {ident}")
        if p.get("kind") not in PROC_KINDS:
            fail(f"{ident}: bad kind")
        for fld in ("title", "summary"):
            if not isinstance(p.get(fld), str) or len(p[fld]) < 10:
                fail(f"{ident}: bad {fld}")
        try:
            s = dt.date.fromisoformat(p["start"])
            e = None if p["end"] is None else dt.date.fromisoformat(p["end"])
        except (KeyError, TypeError, ValueError):
            fail(f"{ident}: bad dates")
        if e is not None and e < s:
            fail(f"{ident}: end before start")
        m = URL_RE.match(p.get("url", ""))
        if not m or m.group(1) != ident[0]:
            fail(f"{ident}: bad url")
        if (p["kind"] == "reporting") != ("categories" in p):
            fail(f"{ident}: categories only (and always) for reporting")
        if "categories" in p:
            codes = [c["code"] for c in p["categories"]]
            if not 3 <= len(codes) <= 6 or len(set(codes)) != len(codes):
                fail(f"{ident}: 3-6 unique categories expected")
            for c in p["categories"]:
                if set(c) != {"code", "label"} or not CODE_RE.match(c["code"]) or not c["label"]:
                    fail(f"{ident}: bad category {c}")
        if p.get("moderation", "pre") not in ("pre", "post") or ("moderation" in p and p["kind"] != "reporting"):
            fail(f"{ident}: moderation is pre or post, and only for reporting procedures")
        if set(p) - {"organisation", "external_id", "title", "summary", "kind", "start", "end", "url", "categories", "moderation"}:
            fail(f"{ident}: unexpected properties")
        g = f["geometry"]
        gt = "null" if g is None else g["type"]
        if gt not in ("null", "Point", "Polygon", "MultiPolygon"):
            fail(f"{ident}: bad geometry type")
        if gt == "Point":
            check_position(g["coordinates"], str(ident))
        polys = polygons_of(g)
        if gt == "MultiPolygon" and len(polys) < 2:
            fail(f"{ident}: MultiPolygon with < 2 parts")
        for pi, rings in enumerate(polys):
            for ri, ring in enumerate(rings):
                n = check_ring(ring, ri == 0, f"{ident} polygon {pi} ring {ri}")
                if not 8 <= n <= 60:
                    fail(f"{ident}: {n} vertices")
                vertex_range = [min(vertex_range[0], n), max(vertex_range[1], n)]
        for i in range(len(polys)):
            for j in range(i + 1, len(polys)):
                a = [to_int(q) for q in polys[i][0]]
                b = [to_int(q) for q in polys[j][0]]
                if any(seg_x(a[x], a[x + 1], b[y], b[y + 1]) for x in range(len(a) - 1) for y in range(len(b) - 1)) \
                        or pip(*polys[i][0][0], polys[j][0]) or pip(*polys[j][0][0], polys[i][0]):
                    fail(f"{ident}: MultiPolygon parts overlap")
        if polys:
            a = sum(area_km2(r[0]) for r in polys)
            lo, hi = area_by_kind.get(p["kind"], (1e9, 0))
            area_by_kind[p["kind"]] = (min(lo, a), max(hi, a))
            if not 0.04 <= a <= 31:
                fail(f"{ident}: implausible area {a:.3f} km²")
        proc_by[ident] = (p, polys)
        kinds[p["kind"]] = kinds.get(p["kind"], 0) + 1
        st = derived_status(p["start"], p["end"])
        statuses[st] = statuses.get(st, 0) + 1
        geoms[gt] = geoms.get(gt, 0) + 1
        if p["kind"] == "reporting" and (st != "running" or gt not in ("Polygon", "MultiPolygon")):
            fail(f"{ident}: defect reporter must be running and have an area")

    # reports
    per_proc = {}
    emails = 0
    for f in reps:
        p = f["properties"]
        ident = (p.get("organisation"), p.get("procedure"))
        if ident not in proc_by:
            fail(f"report references unknown procedure {ident}")
        proc, polys = proc_by[ident]
        if proc["kind"] != "reporting":
            fail(f"report in non-reporting procedure {ident}")
        if p.get("category") not in {c["code"] for c in proc["categories"]}:
            fail(f"{ident}: unknown category {p.get('category')}")
        d = p.get("description")
        if not isinstance(d, str) or not 20 <= len(d) <= 400:
            fail(f"{ident}: description length")
        if p.get("status") not in REPORT_STATUSES:
            fail(f"{ident}: bad status")
        c = p.get("created", "")
        if not CREATED_RE.match(c):
            fail(f"{ident}: created {c!r} is not RFC 3339 UTC")
        cdt = dt.datetime.strptime(c, "%Y-%m-%dT%H:%M:%SZ")
        if cdt.date() < dt.date.fromisoformat(proc["start"]) or cdt.date() >= TODAY:
            fail(f"{ident}: created {c} outside the running period before {TODAY}")
        if proc["end"] is not None and cdt.date() > dt.date.fromisoformat(proc["end"]):
            fail(f"{ident}: created {c} after the end")
        if "contact_email" in p:
            emails += 1
            if not re.match(r"^[a-z0-9.]+@example\.org$", p["contact_email"]):
                fail(f"{ident}: contact_email must use example.org")
        if set(p) - {"organisation", "procedure", "category", "description", "status", "created", "contact_email"}:
            fail(f"{ident}: unexpected report properties")
        g = f["geometry"]
        if not g or g["type"] != "Point":
            fail(f"{ident}: report geometry must be a Point")
        check_position(g["coordinates"], str(ident))
        ins, dist = inside_margin(g["coordinates"][0], g["coordinates"][1], polys)
        if not ins:
            fail(f"{ident}: report {g['coordinates']} outside its procedure area")
        if dist < 30.0:
            fail(f"{ident}: report {g['coordinates']} only {dist:.1f} m from the boundary")
        per = per_proc.setdefault(ident, {})
        per[p["status"]] = per.get(p["status"], 0) + 1

    # bars
    orgs_with_procs = {i[0] for i in proc_by}
    bars = [
        ("procedures >= 40", len(proc_by) >= 40),
        ("authorities with procedures >= 15", len(orgs_with_procs) >= 15),
        ("reports >= 300", len(reps) >= 300),
        ("defect reporters with reports >= 3", len(per_proc) >= 3),
        ("null-geometry procedures >= 2", geoms.get("null", 0) >= 2),
        ("Point procedures present", geoms.get("Point", 0) >= 1),
        ("MultiPolygon procedures present", geoms.get("MultiPolygon", 0) >= 1),
        ("all six procedure kinds present", set(kinds) == PROC_KINDS),
        ("upcoming and closed procedures present", statuses.get("upcoming", 0) > 0 and statuses.get("closed", 0) > 0),
        ("all report statuses present", set().union(*per_proc.values()) == REPORT_STATUSES),
    ]
    for name, ok in bars:
        if not ok:
            fail("bar not met: " + name)

    print("organisations: %d (%s)" % (len(orgs), ", ".join(
        "%s=%d" % (k, sum(1 for o in keys.values() if o["kind"] == k)) for k in sorted(ORG_KINDS))))
    print("procedures: %d from %d authorities" % (len(proc_by), len(orgs_with_procs)))
    print("  by kind:   " + ", ".join("%s=%d" % kv for kv in sorted(kinds.items())))
    print("  by status: " + ", ".join("%s=%d" % kv for kv in sorted(statuses.items())) + " (as of %s)" % TODAY)
    print("  geometry:  " + ", ".join("%s=%d" % kv for kv in sorted(geoms.items()))
          + "; polygon vertices %d..%d" % tuple(vertex_range))
    for k, (lo, hi) in sorted(area_by_kind.items()):
        print("  area %-16s %7.3f .. %7.3f km²" % (k, lo, hi))
    print("reports: %d (%d with contact_email)" % (len(reps), emails))
    for ident, per in sorted(per_proc.items()):
        print("  %-32s %3d  %s" % ("/".join(ident), sum(per.values()),
                                    ", ".join("%s=%d" % (s, per.get(s, 0)) for s in
                                              ("submitted", "published", "in_progress", "resolved", "rejected"))))
    check_outline(orgs, procs, reps)
    print("OK: all checks passed")


if __name__ == "__main__":
    main()
