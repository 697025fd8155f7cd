#!/usr/bin/env python3
"""Generate the partimap sample data set of real NRW places.

Writes (deterministically, standard library only):

    data/organisations.geojson
    data/procedures.geojson
    data/reports.geojson

and regenerates the section "## Anchors for tests" at the end of
data/README.md (everything from that heading to the end of the file).

Usage:  python3 data/make_sample.py

The reference date for derived statuses is 2026-11-23.  Every geometry is
validated before anything is written (closed rings, >= 4 positions, simple,
counter-clockwise exterior rings, reports inside their procedure area and at
least 30 m away from its boundary); any violation aborts with an exception.
"""

import datetime as dt
import hashlib
import json
import math
import os
import random
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TODAY = dt.date(2026, 11, 23)
PORTAL = "https://beteiligung.nrw.de/portal/{org}/beteiligung/themen/{num}"

# Degrees <-> kilometres (local equirectangular approximation, good enough
# for areas of a few km and for the 30 m boundary margin).
KM_PER_DEG_LAT = 111.2


def km_per_deg_lon(lat):
    return 111.32 * math.cos(math.radians(lat))


def seed_of(*parts):
    """Stable seed (independent of PYTHONHASHSEED)."""
    return int(hashlib.sha256("/".join(parts).encode("utf-8")).hexdigest()[:16], 16)


def micro(v):
    """Degrees -> integer micro-degrees (exact 6-decimal representation)."""
    return int(round(v * 1_000_000))


def fmt_micro(v):
    sign = "-" if v < 0 else ""
    v = abs(v)
    return "%s%d.%06d" % (sign, v // 1_000_000, v % 1_000_000)


# ---------------------------------------------------------------------------
# Organisations (parents before children).  Seats are town halls / official
# seats, lon/lat.  AGS only where known; omitted otherwise.
# ---------------------------------------------------------------------------

ORGANISATIONS = [
    # key, name, kind, ags, parent, (lon, lat) of the seat
    ("land-nrw", "Land Nordrhein-Westfalen", "state", "05", None,
     (6.7561, 51.2156)),  # Staatskanzlei, Stadttor 1, Düsseldorf
    ("bezirksregierung-duesseldorf", "Bezirksregierung Düsseldorf", "regional_government", "051", "land-nrw",
     (6.7727, 51.2347)),  # Cecilienallee 2
    ("bezirksregierung-koeln", "Bezirksregierung Köln", "regional_government", "053", "land-nrw",
     (6.9500, 50.9403)),  # Zeughausstraße 2-10
    ("bezirksregierung-muenster", "Bezirksregierung Münster", "regional_government", "055", "land-nrw",
     (7.6243, 51.9630)),  # Domplatz 1-3
    ("bezirksregierung-detmold", "Bezirksregierung Detmold", "regional_government", "057", "land-nrw",
     (8.8768, 51.9373)),  # Leopoldstraße 15
    ("bezirksregierung-arnsberg", "Bezirksregierung Arnsberg", "regional_government", "059", "land-nrw",
     (8.0668, 51.3987)),  # Seibertzstraße 1
    ("stadt-duesseldorf", "Landeshauptstadt Düsseldorf", "municipality", "05111000", "bezirksregierung-duesseldorf",
     (6.7722, 51.2264)),  # Rathaus, Marktplatz 2
    ("stadt-essen", "Stadt Essen", "municipality", "05113000", "bezirksregierung-duesseldorf",
     (7.0135, 51.4587)),  # Rathaus, Porscheplatz 1
    ("stadt-koeln", "Stadt Köln", "municipality", "05315000", "bezirksregierung-koeln",
     (6.9590, 50.9382)),  # Historisches Rathaus
    ("stadt-bonn", "Bundesstadt Bonn", "municipality", "05314000", "bezirksregierung-koeln",
     (7.0961, 50.7371)),  # Stadthaus, Berliner Platz 2
    ("stadt-aachen", "Stadt Aachen", "municipality", "05334002", "bezirksregierung-koeln",
     (6.0838, 50.7762)),  # Rathaus, Markt
    ("rhein-sieg-kreis", "Rhein-Sieg-Kreis", "district", "05382", "bezirksregierung-koeln",
     (7.2045, 50.7955)),  # Kreishaus, Kaiser-Wilhelm-Platz 1, Siegburg
    ("stadt-siegburg", "Kreisstadt Siegburg", "municipality", None, "rhein-sieg-kreis",
     (7.2058, 50.7993)),  # Rathaus, Nogenter Platz 10
    ("stadt-muenster", "Stadt Münster", "municipality", "05515000", "bezirksregierung-muenster",
     (7.6281, 51.9619)),  # Historisches Rathaus, Prinzipalmarkt
    ("stadt-bielefeld", "Stadt Bielefeld", "municipality", "05711000", "bezirksregierung-detmold",
     (8.5343, 52.0196)),  # Neues Rathaus, Niederwall 23
    ("kreis-paderborn", "Kreis Paderborn", "district", "05774", "bezirksregierung-detmold",
     (8.7485, 51.7140)),  # Kreishaus, Aldegreverstraße 10-14
    ("stadt-paderborn", "Stadt Paderborn", "municipality", "05774032", "kreis-paderborn",
     (8.7528, 51.7178)),  # Rathaus, Rathausplatz 1
    ("stadt-dortmund", "Stadt Dortmund", "municipality", "05913000", "bezirksregierung-arnsberg",
     (7.4658, 51.5113)),  # Rathaus, Friedensplatz 1
    ("kreis-siegen-wittgenstein", "Kreis Siegen-Wittgenstein", "district", "05970", "bezirksregierung-arnsberg",
     (8.0228, 50.8688)),  # Kreishaus, Koblenzer Straße 73
    ("stadt-siegen", "Stadt Siegen", "municipality", "05970040", "kreis-siegen-wittgenstein",
     (8.0227, 50.8752)),  # Rathaus, Markt 2 (Oberstadt)
    ("justizministerium-nrw", "Ministerium der Justiz des Landes Nordrhein-Westfalen", "ministry", None, "land-nrw",
     (6.7785, 51.2212)),  # Martin-Luther-Platz 40
    ("umweltministerium-nrw", "Ministerium für Umwelt, Naturschutz und Verkehr des Landes Nordrhein-Westfalen",
     "ministry", None, "land-nrw",
     (6.7768, 51.2333)),  # Emilie-Preyer-Platz 1 (next to the Ehrenhof)
    ("bauministerium-nrw", "Ministerium für Heimat, Kommunales, Bau und Digitalisierung des Landes Nordrhein-Westfalen",
     "ministry", None, "land-nrw",
     (6.7655, 51.2105)),  # Jürgensplatz 1
    ("strassen-nrw", "Landesbetrieb Straßenbau Nordrhein-Westfalen", "state_agency", None, "land-nrw",
     (7.1015, 51.5125)),  # Wildenbruchplatz 1, Gelsenkirchen
]

# ---------------------------------------------------------------------------
# Report categories of the defect reporters
# ---------------------------------------------------------------------------

CAT_LABELS = {
    "road_damage": "Straßenschäden",
    "street_light": "Straßenbeleuchtung",
    "litter": "Müll und Verschmutzung",
    "graffiti": "Graffiti",
    "traffic_sign": "Ampeln und Verkehrszeichen",
    "green_space": "Grünflächen und Bäume",
    "playground": "Spielplatz",
    "winter_service": "Winterdienst",
    "cycle_path": "Radwege",
    "bike_parking": "Fahrradabstellanlagen",
}


def cats(*codes):
    return [{"code": c, "label": CAT_LABELS[c]} for c in codes]


# ---------------------------------------------------------------------------
# Geometry specifications
# ---------------------------------------------------------------------------

def poly(lon, lat, area, n, elong=1.0, rot=0.0, rough=0.08):
    """Irregular polygon around (lon, lat) with the given area in km².

    elong: ratio of long to short axis; rot: direction of the long axis in
    degrees counter-clockwise from east; n: number of distinct vertices."""
    return ("poly", dict(lon=lon, lat=lat, area=area, n=n, elong=elong, rot=rot, rough=rough))


def multi(*parts):
    return ("multi", [p[1] for p in parts])


def point(lon, lat):
    return ("point", dict(lon=lon, lat=lat))


# ---------------------------------------------------------------------------
# Procedures
# ---------------------------------------------------------------------------

PROCEDURES = [
    # --- Land NRW and ministries (statewide drafts have no geometry) -------
    dict(org="land-nrw", ext="lep-aenderung-energie", kind="formal_procedure",
         title="Entwurf zur Änderung des Landesentwicklungsplans Nordrhein-Westfalen – Kapitel 10 Energieversorgung",
         summary="Die Landesregierung beteiligt die Öffentlichkeit am Entwurf zur Änderung des Landesentwicklungsplans. "
                 "Im Mittelpunkt stehen Ziele und Grundsätze für den Ausbau erneuerbarer Energien und die Sicherung von Flächen für Energiespeicher.",
         start="2026-10-05", end="2027-01-15", geom=None),
    dict(org="land-nrw", ext="buergerkonferenz-rheinisches-revier", kind="event",
         title="Bürgerkonferenz Strukturwandel im Rheinischen Revier",
         summary="Im Kölner Gürzenich haben Bürgerinnen und Bürger mit Landesregierung und Kommunen über Projekte für das Rheinische Revier nach dem Kohleausstieg diskutiert. "
                 "Die Ergebnisse fließen in das Arbeitsprogramm der Landesregierung ein.",
         start="2026-09-19", end="2026-09-19", geom=point(6.9581, 50.9362)),
    dict(org="justizministerium-nrw", ext="jvollzg-modernisierung", kind="formal_procedure",
         title="Entwurf eines Gesetzes zur Modernisierung des Justizvollzugs in Nordrhein-Westfalen",
         summary="Der Gesetzentwurf bündelt die Vollzugsgesetze des Landes und regelt unter anderem digitale Angebote im Vollzug, Videobesuche und ein gestärktes Übergangsmanagement. "
                 "Verbände sowie Bürgerinnen und Bürger können bis Ende Januar Stellung nehmen.",
         start="2026-09-14", end="2027-01-31", geom=None),
    dict(org="justizministerium-nrw", ext="vo-elektronische-akte", kind="formal_procedure",
         title="Entwurf einer Verordnung über den elektronischen Rechtsverkehr und die elektronische Aktenführung bei den Gerichten des Landes",
         summary="Die Verordnung legt fest, ab wann an den Fachgerichten des Landes Akten ausschließlich elektronisch geführt werden. "
                 "Die Beteiligung ist abgeschlossen, die Stellungnahmen werden ausgewertet.",
         start="2026-02-02", end="2026-04-30", geom=None),
    dict(org="umweltministerium-nrw", ext="lwg-starkregenvorsorge", kind="formal_procedure",
         title="Entwurf eines Gesetzes zur Änderung des Landeswassergesetzes (Starkregenvorsorge)",
         summary="Mit der Novelle sollen Kommunen Starkregengefahrenkarten veröffentlichen und bei der Bauleitplanung berücksichtigen. "
                 "Die öffentliche Beteiligung beginnt im Januar 2027.",
         start="2027-01-11", end="2027-03-12", geom=None),
    dict(org="umweltministerium-nrw", ext="rs1-frillendorf-kray", kind="dialog",
         title="Radschnellweg Ruhr (RS1) – Lückenschluss zwischen Essen-Frillendorf und Essen-Kray",
         summary="Für den noch fehlenden Abschnitt des RS1 auf der Trasse der ehemaligen Rheinischen Bahn werden Varianten der Trassenführung und der Anschlüsse an das städtische Radnetz vorgestellt. "
                 "Hinweise zu Querungen, Beleuchtung und Zugängen sind willkommen.",
         start="2026-06-15", end="2027-06-30", geom=poly(7.0620, 51.4645, 2.2, 36, elong=5.0, rot=8)),
    dict(org="bauministerium-nrw", ext="bauo-bauen-im-bestand", kind="formal_procedure",
         title="Entwurf eines Gesetzes zur Änderung der Landesbauordnung 2018 (Bauen im Bestand)",
         summary="Der Entwurf erleichtert Aufstockungen, den Ausbau von Dachgeschossen und Nutzungsänderungen bestehender Gebäude. "
                 "Stellungnahmen zum Gesetzentwurf können online abgegeben werden.",
         start="2026-11-02", end="2027-01-29", geom=None),
    # --- Straßen.NRW ------------------------------------------------------
    dict(org="strassen-nrw", ext="a45-talbruecke-rahmede", kind="dialog",
         title="Neubau der Talbrücke Rahmede (A 45) – Dialog zur Bauphase",
         summary="Straßen.NRW informiert über den Baufortschritt des Ersatzneubaus bei Lüdenscheid und sammelt Hinweise zu Baustellenverkehr, Lärmschutz und Umleitungen im Rahmedetal.",
         start="2026-02-02", end="2027-12-31", geom=poly(7.6430, 51.2450, 1.1, 30, elong=2.2, rot=100)),
    dict(org="strassen-nrw", ext="hts-laermschutz-siegen", kind="survey",
         title="Lärmschutz an der Hüttentalstraße (B 54/B 62) in Siegen – Online-Befragung",
         summary="Anwohnende entlang der Hüttentalstraße zwischen Weidenau und Siegen-Mitte können angeben, wo Verkehrslärm sie besonders belastet. "
                 "Die Ergebnisse fließen in die Planung von Lärmschutzwänden und lärmminderndem Asphalt ein.",
         start="2026-05-04", end="2027-02-26", geom=poly(8.0230, 50.8810, 2.0, 34, elong=7.0, rot=70)),
    dict(org="strassen-nrw", ext="b1-dortmund-dialog", kind="dialog",
         title="B 1 in Dortmund – Dialog zur Zukunft der Stadtstraße",
         summary="Zwischen dem Kreuz Dortmund-West und dem Westfalendamm werden Varianten für Lärmschutz, neue Querungen und eine mögliche Teil-Untertunnelung diskutiert. "
                 "Die Beiträge bereiten die Vorplanung vor.",
         start="2026-10-19", end="2027-04-30", geom=poly(7.4750, 51.5010, 3.3, 40, elong=8.0, rot=8)),
    # --- Bezirksregierungen -----------------------------------------------
    dict(org="bezirksregierung-duesseldorf", ext="luftreinhalteplan-2026", kind="formal_procedure",
         title="Fortschreibung des Luftreinhalteplans Düsseldorf 2026 – Öffentliche Auslegung",
         summary="Die Bezirksregierung hat den Entwurf der Fortschreibung mit Maßnahmen zur Senkung der Stickstoffdioxid-Belastung an Hauptverkehrsstraßen ausgelegt. "
                 "Die Stellungnahmen werden derzeit ausgewertet.",
         start="2026-03-16", end="2026-05-15", geom=poly(6.7880, 51.2250, 24.0, 48, elong=1.3, rot=80)),
    dict(org="bezirksregierung-koeln", ext="regionalplan-infoabend", kind="event",
         title="Informationsveranstaltung zur Neuaufstellung des Regionalplans Köln",
         summary="Die Regionalplanungsbehörde stellt im Dienstgebäude an der Zeughausstraße den überarbeiteten Planentwurf vor und beantwortet Fragen zum weiteren Verfahren.",
         start="2027-01-20", end="2027-01-20", geom=point(6.9500, 50.9403)),
    dict(org="bezirksregierung-muenster", ext="werse-handorf", kind="dialog",
         title="Hochwasserschutz und Renaturierung an der Werse in Münster-Handorf",
         summary="Die Bezirksregierung stellt Varianten für neue Retentionsflächen und eine naturnahe Umgestaltung der Werse vor. "
                 "Anregungen zu Wegen, Naherholung und Landwirtschaft werden gesammelt.",
         start="2026-04-20", end="2027-10-29", geom=poly(7.6990, 51.9880, 2.5, 32, elong=2.4, rot=60)),
    dict(org="bezirksregierung-detmold", ext="externsteine-besucherlenkung", kind="dialog",
         title="Besucherlenkung im Naturschutzgebiet Externsteine – Dialog",
         summary="Gemeinsam mit dem Landesverband Lippe wird ein Konzept zur Lenkung der Besucherströme an den Externsteinen erarbeitet. "
                 "Hinweise zu Parkplätzen, Wegen und sensiblen Bereichen sind erwünscht.",
         start="2026-05-11", end="2027-05-31", geom=poly(8.9170, 51.8690, 1.8, 28, elong=1.6, rot=30)),
    dict(org="bezirksregierung-arnsberg", ext="ruhraue-arnsberg-neheim", kind="dialog",
         title="Ruhraue zwischen Arnsberg und Neheim – Dialog zur Gewässerentwicklung",
         summary="Zur Umsetzung der Wasserrahmenrichtlinie wurden Maßnahmen zur Renaturierung der Ruhr zwischen Arnsberg und Neheim diskutiert. "
                 "Der Dialog ist abgeschlossen, ein Ergebnisbericht liegt vor.",
         start="2025-10-06", end="2026-06-30", geom=poly(8.0150, 51.4230, 5.5, 44, elong=7.0, rot=145)),
    # --- Stadt Köln -------------------------------------------------------
    dict(org="stadt-koeln", ext="maengelmelder", kind="reporting",
         title="Mängelmelder Köln-Innenstadt",
         summary="Melden Sie Schlaglöcher, defekte Straßenlaternen, wilden Müll oder Graffiti im Stadtbezirk Innenstadt. "
                 "Die Meldungen werden an die zuständigen Dienststellen weitergeleitet.",
         start="2026-01-12", end="2028-12-31",
         geom=poly(6.9515, 50.9355, 16.5, 52, elong=1.3, rot=95, rough=0.05),
         categories=cats("road_damage", "street_light", "litter", "graffiti", "traffic_sign", "green_space")),
    dict(org="stadt-koeln", ext="bplan-71459-deutzer-hafen-nord", kind="land_use_plan",
         title="Bebauungsplan Nr. 71459/03 'Deutzer Hafen – Teilbereich Nord'",
         summary="Der Bebauungsplan schafft die Grundlage für Wohnungen, Büros, eine Grundschule und öffentliche Grünflächen am nördlichen Hafenbecken. "
                 "Die Planunterlagen liegen öffentlich aus.",
         start="2026-10-12", end="2027-01-22", geom=poly(6.9760, 50.9285, 0.26, 14, elong=2.0, rot=70, rough=0.15)),
    dict(org="stadt-koeln", ext="fnp-248-parkstadt-sued", kind="land_use_plan",
         title="248. Änderung des Flächennutzungsplans 'Parkstadt Süd'",
         summary="Die Änderung stellt zwei Teilflächen zwischen Luxemburger Straße und Rhein als Wohnbau-, Misch- und Grünflächen dar, "
                 "um den Inneren Grüngürtel bis an den Rhein fortzuführen.",
         start="2026-09-07", end="2027-02-26",
         geom=multi(poly(6.9530, 50.9190, 0.30, 12, elong=1.6, rot=20, rough=0.15),
                    poly(6.9655, 50.9135, 0.22, 11, elong=1.4, rot=110, rough=0.15))),
    dict(org="stadt-koeln", ext="radverkehrskonzept-innenstadt", kind="survey",
         title="Radverkehrskonzept Innenstadt – Online-Befragung",
         summary="Wo fehlen sichere Radwege, Abstellanlagen oder Querungen? Die Befragung ist Grundlage für das neue Radverkehrskonzept für die Kölner Innenstadt.",
         start="2026-09-01", end="2027-03-31", geom=poly(6.9500, 50.9370, 8.0, 40, elong=1.2, rot=90)),
    dict(org="stadt-koeln", ext="infoabend-ost-west-achse", kind="event",
         title="Informationsabend zur Ost-West-Achse: Stadtbahnausbau zwischen Heumarkt und Aachener Weiher",
         summary="Im Historischen Rathaus stellen Stadtverwaltung und KVB den Stand der Planung für den Ausbau der Stadtbahn vor. "
                 "Im Anschluss besteht Gelegenheit für Fragen und Anregungen.",
         start="2027-02-10", end="2027-02-10", geom=point(6.9593, 50.9381)),
    # --- Landeshauptstadt Düsseldorf -------------------------------------
    dict(org="stadt-duesseldorf", ext="bplan-08-005-glasmacherviertel", kind="land_use_plan",
         title="Bebauungsplan Nr. 08/005 'Glasmacherviertel – Teilbereich Ost'",
         summary="Auf dem Gelände der ehemaligen Gerresheimer Glashütte sollen Wohnungen, eine Kita und ein Quartiersplatz entstehen. "
                 "Der Planentwurf liegt zur Stellungnahme aus.",
         start="2026-10-26", end="2027-01-08", geom=poly(6.8620, 51.2325, 0.28, 12, elong=1.8, rot=10, rough=0.15)),
    dict(org="stadt-duesseldorf", ext="radhauptnetz-befragung", kind="survey",
         title="Radhauptnetz Düsseldorf – Befragung zu Lücken und Gefahrenstellen",
         summary="Die Landeshauptstadt baut ihr Radhauptnetz weiter aus. "
                 "In der Befragung können Lücken, Gefahrenstellen und Wünsche für neue Verbindungen auf der Karte markiert werden.",
         start="2026-07-01", end="2027-06-30", geom=poly(6.7900, 51.2260, 27.0, 50, elong=1.15, rot=75)),
    # --- Stadt Essen ------------------------------------------------------
    dict(org="stadt-essen", ext="bplan-essen-51", kind="land_use_plan",
         title="Bebauungsplan 'Essen 51 – Baufelder Nord und Süd'",
         summary="Für das neue Stadtquartier Essen 51 auf ehemaligen Industrieflächen im Westviertel werden zwei Baufelder mit Wohnungen, Gewerbe und einem Park festgesetzt.",
         start="2026-11-09", end="2027-01-29",
         geom=multi(poly(6.9840, 51.4628, 0.20, 10, elong=1.5, rot=30, rough=0.15),
                    poly(6.9905, 51.4590, 0.15, 9, elong=1.3, rot=150, rough=0.15))),
    dict(org="stadt-essen", ext="klimaanpassung-altenessen", kind="dialog",
         title="Klimaanpassungskonzept Altenessen – Quartiersdialog",
         summary="Hitzeinseln, fehlendes Grün, Starkregen: Anwohnerinnen und Anwohner in Altenessen können Orte benennen, "
                 "an denen Bäume, Entsiegelung oder Trinkbrunnen am dringendsten gebraucht werden.",
         start="2026-08-24", end="2027-02-26", geom=poly(7.0080, 51.4880, 5.0, 36, elong=1.4, rot=100)),
    # --- Stadt Dortmund ---------------------------------------------------
    dict(org="stadt-dortmund", ext="bplan-inn-228-speicherstrasse", kind="land_use_plan",
         title="Bebauungsplan InN 228 'Hafenquartier Speicherstraße'",
         summary="Der Bebauungsplan sichert die Umnutzung alter Hafenflächen zu einem Quartier für digitale Wirtschaft, Gastronomie und Wohnen am Wasser.",
         start="2026-09-21", end="2027-01-15", geom=poly(7.4470, 51.5245, 0.35, 14, elong=2.4, rot=80, rough=0.15)),
    dict(org="stadt-dortmund", ext="stadtgespraeche-2035", kind="event",
         title="Veranstaltungsreihe 'Stadtgespräche Dortmund 2035' im Dortmunder U",
         summary="An monatlichen Abenden diskutieren Stadtverwaltung und Bürgerschaft im Dortmunder U über Wohnen, Mobilität und Klimaschutz im neuen Stadtentwicklungskonzept.",
         start="2026-10-08", end="2027-05-27", geom=point(7.4531, 51.5156)),
    dict(org="stadt-dortmund", ext="fnp-14-wind-lanstrop", kind="land_use_plan",
         title="Änderung Nr. 14 des Flächennutzungsplans 'Windenergie Lanstrop'",
         summary="Die Änderung soll im Nordosten Dortmunds eine Konzentrationszone für Windenergieanlagen darstellen. "
                 "Die frühzeitige Öffentlichkeitsbeteiligung beginnt im Februar 2027.",
         start="2027-02-01", end="2027-03-05", geom=poly(7.5620, 51.5720, 1.2, 16, elong=1.5, rot=35, rough=0.15)),
    # --- Stadt Münster ----------------------------------------------------
    dict(org="stadt-muenster", ext="maengelmelder", kind="reporting",
         title="Mängelmelder Münster – Innenstadt und Kreuzviertel",
         summary="Hinweise zu Radwegen, Fahrradabstellanlagen, Straßenschäden, Beleuchtung und Verschmutzung rund um Altstadt, Bahnhofsviertel und Kreuzviertel können hier gemeldet werden.",
         start="2026-04-01", end="2028-12-31",
         geom=poly(7.6260, 51.9615, 10.0, 48, elong=1.1, rot=90, rough=0.05),
         categories=cats("cycle_path", "bike_parking", "road_damage", "street_light", "litter")),
    dict(org="stadt-muenster", ext="bplan-612-york-quartier", kind="land_use_plan",
         title="Bebauungsplan Nr. 612 'York-Quartier – Quartiersmitte'",
         summary="Auf dem Gelände der ehemaligen York-Kaserne in Gremmendorf werden Baufelder für geförderten Wohnungsbau, eine Quartiersgarage und einen zentralen Platz festgesetzt.",
         start="2026-10-05", end="2027-01-29", geom=poly(7.6625, 51.9425, 0.20, 12, elong=1.6, rot=20, rough=0.15)),
    dict(org="stadt-muenster", ext="ausstellung-hoersterplatz", kind="event",
         title="Ausstellung der Wettbewerbsergebnisse 'Neugestaltung Hörsterplatz' im Stadtweinhaus",
         summary="Die Entwürfe des städtebaulichen Wettbewerbs sind im Stadtweinhaus am Prinzipalmarkt ausgestellt. "
                 "Donnerstags steht das Planungsteam für Gespräche bereit.",
         start="2026-11-02", end="2027-01-15", geom=point(7.6283, 51.9616)),
    # --- Stadt Bielefeld --------------------------------------------------
    dict(org="stadt-bielefeld", ext="bplan-ii-g-25-kesselbrink-nord", kind="land_use_plan",
         title="Bebauungsplan Nr. II/G 25 'Kesselbrink-Nord'",
         summary="Der Bebauungsplan ermöglicht eine Neubebauung am nördlichen Rand des Kesselbrinks mit Wohnungen, Einzelhandel im Erdgeschoss und einem begrünten Innenhof.",
         start="2026-09-28", end="2027-01-08", geom=poly(8.5385, 52.0232, 0.09, 10, elong=1.4, rot=0, rough=0.15)),
    dict(org="stadt-bielefeld", ext="befragung-radverkehr-mitte", kind="survey",
         title="Mobilitätsbefragung Radverkehr Bielefeld-Mitte",
         summary="Die Befragung zu Wegen, Abstellmöglichkeiten und Gefahrenstellen im Stadtbezirk Mitte ist abgeschlossen. "
                 "Die Auswertung wird im Mobilitätsausschuss vorgestellt.",
         start="2025-11-03", end="2026-02-27", geom=poly(8.5330, 52.0210, 10.0, 36, elong=1.2, rot=60)),
    # --- Bundesstadt Bonn -------------------------------------------------
    dict(org="stadt-bonn", ext="bplan-7021-9-viktoriakarree", kind="land_use_plan",
         title="Bebauungsplan Nr. 7021-9 'Viktoriakarree'",
         summary="Für das Viktoriaviertel zwischen Franziskanerstraße, Stockenstraße und Belderberg soll eine kleinteilige Mischung aus Wohnen, Handel, Kultur und Universitätsnutzungen gesichert werden.",
         start="2026-10-19", end="2027-01-22", geom=poly(7.0995, 50.7345, 0.06, 9, elong=1.3, rot=20, rough=0.12)),
    dict(org="stadt-bonn", ext="laermaktionsplan-stufe-4", kind="survey",
         title="Lärmaktionsplan der Bundesstadt Bonn – Stufe 4: Online-Beteiligung",
         summary="Bürgerinnen und Bürger können Orte mit hoher Lärmbelastung durch Straßen-, Schienen- und Flugverkehr melden und Maßnahmenvorschläge bewerten.",
         start="2026-06-01", end="2027-01-31", geom=poly(7.1050, 50.7220, 26.0, 50, elong=1.6, rot=125)),
    dict(org="stadt-bonn", ext="ausstellung-rheinaue-2030", kind="event",
         title="Ausstellung und Bürgersprechstunden 'Rheinaue 2030' im Alten Rathaus",
         summary="Die Entwürfe zur Weiterentwicklung der Rheinaue werden im Alten Rathaus am Markt gezeigt. "
                 "Zu festen Sprechzeiten beantworten Fachleute Fragen.",
         start="2026-11-09", end="2027-01-29", geom=point(7.1020, 50.7357)),
    # --- Stadt Aachen -----------------------------------------------------
    dict(org="stadt-aachen", ext="bplan-999-altstadtquartier-buechel", kind="land_use_plan",
         title="Bebauungsplan Nr. 999 'Altstadtquartier Büchel'",
         summary="Der Bebauungsplan ordnet das Quartier zwischen Büchel, Großkölnstraße und Mefferdatisstraße neu. "
                 "Vorgesehen sind Wohnungen, ein Bürgerplatz und die Neuordnung der Antoniusstraße.",
         start="2026-09-14", end="2027-01-15", geom=poly(6.0860, 50.7768, 0.07, 11, elong=1.3, rot=40, rough=0.12)),
    dict(org="stadt-aachen", ext="radvorrangrouten", kind="dialog",
         title="Radvorrangrouten Aachen – Dialog zur Trassenführung",
         summary="Die Stadt plant ein Netz aus Radvorrangrouten zwischen Innenstadt, Hochschulstandorten und Stadtteilen. "
                 "Varianten für die ersten Routen können kommentiert werden.",
         start="2026-05-18", end="2027-05-31", geom=poly(6.0880, 50.7740, 18.0, 44, elong=1.25, rot=20)),
    # --- Kreis Paderborn / Stadt Paderborn ---------------------------------
    dict(org="kreis-paderborn", ext="landschaftsplan-paderborn-bad-lippspringe", kind="formal_procedure",
         title="Entwurf der 2. Änderung des Landschaftsplans 'Paderborn – Bad Lippspringe'",
         summary="Die Änderung passt Schutzgebiete und Entwicklungsziele in der Lippe- und Paderaue an. "
                 "Der Entwurf liegt öffentlich aus, Anregungen können schriftlich oder online vorgebracht werden.",
         start="2026-10-26", end="2027-01-29", geom=poly(8.7900, 51.7600, 14.0, 44, elong=1.3, rot=45)),
    dict(org="kreis-paderborn", ext="pendlerbefragung-b1", kind="survey",
         title="Pendlerbefragung im Korridor Salzkotten – Paderborn (B 1)",
         summary="Der Kreis befragt Pendelnde zu ihren Wegen zwischen Salzkotten und Paderborn. "
                 "Die Ergebnisse fließen in das Kreismobilitätskonzept und die Planung einer Schnellbuslinie ein.",
         start="2026-10-12", end="2027-01-31", geom=poly(8.6680, 51.6880, 18.0, 44, elong=3.6, rot=24)),
    dict(org="stadt-paderborn", ext="maengelmelder", kind="reporting",
         title="Mängelmelder Paderborn",
         summary="Straßenschäden, defekte Laternen, Müll, Probleme auf Radwegen oder an Bäumen in der Kernstadt können hier direkt an die Stadtverwaltung gemeldet werden.",
         start="2026-02-16", end=None,
         geom=poly(8.7580, 51.7185, 13.0, 50, elong=1.15, rot=60, rough=0.05),
         categories=cats("road_damage", "street_light", "litter", "cycle_path", "green_space")),
    dict(org="stadt-paderborn", ext="bplan-290-alanbrooke-quartier", kind="land_use_plan",
         title="Bebauungsplan Nr. 290 'Alanbrooke-Quartier'",
         summary="Nach dem Abzug der britischen Streitkräfte wird die ehemalige Alanbrooke-Kaserne zu einem Wohn- und Bildungsquartier entwickelt. "
                 "Der Planentwurf liegt öffentlich aus.",
         start="2026-10-19", end="2027-01-15", geom=poly(8.7650, 51.7100, 0.35, 14, elong=1.5, rot=120, rough=0.15)),
    dict(org="stadt-paderborn", ext="innenstadtdialog-westernstrasse", kind="dialog",
         title="Innenstadtdialog 'Westernstraße 2030'",
         summary="Im Dialog wurden Ideen für mehr Aufenthaltsqualität, Begrünung und die Nutzung leerstehender Ladenlokale in der Westernstraße gesammelt. "
                 "Die Ergebnisse sind dokumentiert.",
         start="2026-01-19", end="2026-04-30", geom=poly(8.7505, 51.7182, 0.5, 18, elong=2.2, rot=8)),
    # --- Kreis Siegen-Wittgenstein / Stadt Siegen -------------------------
    dict(org="kreis-siegen-wittgenstein", ext="landschaftsplan-netphen", kind="formal_procedure",
         title="Entwurf des Landschaftsplans Netphen – Öffentliche Auslegung",
         summary="Der Entwurf setzt Natur- und Landschaftsschutzgebiete sowie Entwicklungsziele für die Landschaft im Gebiet der Stadt Netphen fest. "
                 "Anregungen und Bedenken können während der Auslegung vorgebracht werden.",
         start="2026-11-16", end="2027-01-15", geom=poly(8.1000, 50.9180, 26.0, 48, elong=1.4, rot=70)),
    dict(org="kreis-siegen-wittgenstein", ext="kreisentwicklungskonferenz-2027", kind="event",
         title="Kreisentwicklungskonferenz Siegen-Wittgenstein 2027",
         summary="Im Kreishaus Siegen diskutieren Bürgerinnen und Bürger, Kommunen und Wirtschaft über Fachkräftesicherung, Mobilität und Daseinsvorsorge im ländlichen Raum.",
         start="2027-02-25", end="2027-02-25", geom=point(8.0228, 50.8688)),
    dict(org="stadt-siegen", ext="maengelmelder", kind="reporting",
         title="Mängelmelder Siegen",
         summary="Ob Schlagloch, kaputte Laterne, wilder Müll, defektes Spielgerät oder nicht geräumter Gehweg: "
                 "Hinweise aus der Kernstadt gehen direkt an die zuständigen Stellen der Stadt Siegen.",
         start="2026-03-02", end="2029-06-30",
         geom=poly(8.0225, 50.8745, 10.5, 46, elong=1.25, rot=80, rough=0.05),
         categories=cats("road_damage", "street_light", "litter", "playground", "winter_service"),
         moderation="post"),
    dict(org="stadt-siegen", ext="bplan-373-weidenau-bismarckstrasse", kind="land_use_plan",
         title="Bebauungsplan Nr. 373 'Weidenau – Quartier an der Bismarckstraße'",
         summary="Die Innenentwicklung in Weidenau soll neuen Wohnraum, eine Quartiersgarage und eine durchgängige Fußwegeverbindung zur Sieg ermöglichen.",
         start="2026-11-04", end="2027-01-08", geom=poly(8.0285, 50.8960, 0.12, 11, elong=1.5, rot=60, rough=0.15)),
    dict(org="stadt-siegen", ext="campus-unteres-schloss", kind="dialog",
         title="Umfeld Campus Unteres Schloss – Dialog zur Freiraumgestaltung",
         summary="Mit dem Campus der Universität in der Innenstadt steigt der Bedarf an Aufenthaltsflächen, Fahrradstellplätzen und sicheren Wegen. "
                 "Ideen und Hinweise können auf der Karte verortet werden.",
         start="2026-06-08", end="2027-03-31", geom=poly(8.0190, 50.8757, 0.45, 20, elong=1.6, rot=100)),
    dict(org="stadt-siegen", ext="fnp-67-eiserfeld", kind="land_use_plan",
         title="67. Änderung des Flächennutzungsplans 'Gewerbeflächen Eiserfeld'",
         summary="Zwei bislang landwirtschaftlich genutzte Teilflächen in Eiserfeld sollen als gewerbliche Bauflächen dargestellt werden, "
                 "um Betrieben aus der Region Erweiterungen zu ermöglichen.",
         start="2026-09-28", end="2027-01-29",
         geom=multi(poly(7.9980, 50.8390, 0.18, 10, elong=1.5, rot=40, rough=0.15),
                    poly(8.0060, 50.8335, 0.14, 9, elong=1.3, rot=150, rough=0.15))),
    # --- Rhein-Sieg-Kreis / Siegburg -------------------------------------
    dict(org="rhein-sieg-kreis", ext="radpendlerroute-siegburg-bonn", kind="dialog",
         title="Radpendlerroute Siegburg – Sankt Augustin – Bonn: Dialog zur Vorzugsvariante",
         summary="Der Rhein-Sieg-Kreis stellt die Vorzugsvariante für eine durchgehende Radpendlerroute entlang der Stadtbahnlinie 66 vor. "
                 "Hinweise zu Engstellen und Querungen fließen in die Entwurfsplanung ein.",
         start="2026-07-13", end="2027-03-31", geom=poly(7.1605, 50.7678, 6.5, 44, elong=8.0, rot=44)),
    dict(org="stadt-siegburg", ext="bplan-27-3-michaelsberg", kind="land_use_plan",
         title="Bebauungsplan Nr. 27/3 'Michaelsberg – Umfeld Abtei'",
         summary="Der Bebauungsplan sichert die denkmalgerechte Entwicklung des Umfelds der ehemaligen Abtei Michaelsberg und regelt Zufahrt und Stellplätze für die neue Nutzung.",
         start="2026-10-05", end="2027-01-15", geom=poly(7.1994, 50.7994, 0.15, 13, elong=1.3, rot=30, rough=0.15)),
]

# ---------------------------------------------------------------------------
# Streets and places of the defect-reporter areas (approximate centre lines,
# lon/lat).  Each: (name, locative phrase, start, end, weight, has house
# numbers, kind) where kind is "street", "square" or "park".
# ---------------------------------------------------------------------------

def S(name, loc, a, b, w=1.0, numbers=True, kind="street"):
    return dict(name=name, loc=loc, a=a, b=b, w=w, numbers=numbers, kind=kind)


STREETS = {
    "stadt-koeln": [
        S("Hohe Straße", "auf der Hohen Straße", (6.9572, 50.9398), (6.9556, 50.9348), 2.0),
        S("Schildergasse", "in der Schildergasse", (6.9480, 50.9362), (6.9565, 50.9359), 2.0),
        S("Breite Straße", "auf der Breiten Straße", (6.9470, 50.9396), (6.9545, 50.9388), 1.2),
        S("Ehrenstraße", "in der Ehrenstraße", (6.9400, 50.9386), (6.9460, 50.9388), 1.3),
        S("Hohenzollernring", "am Hohenzollernring", (6.9390, 50.9372), (6.9420, 50.9440), 1.5),
        S("Hohenstaufenring", "am Hohenstaufenring", (6.9395, 50.9300), (6.9388, 50.9360), 1.0),
        S("Zülpicher Straße", "auf der Zülpicher Straße", (6.9365, 50.9305), (6.9255, 50.9290), 1.8),
        S("Venloer Straße", "auf der Venloer Straße", (6.9410, 50.9452), (6.9260, 50.9478), 1.4),
        S("Aachener Straße", "auf der Aachener Straße", (6.9375, 50.9370), (6.9215, 50.9378), 1.2),
        S("Severinstraße", "in der Severinstraße", (6.9588, 50.9295), (6.9590, 50.9205), 1.4),
        S("Neusser Straße", "auf der Neusser Straße", (6.9585, 50.9505), (6.9572, 50.9590), 1.0),
        S("Eigelstein", "am Eigelstein", (6.9580, 50.9442), (6.9575, 50.9492), 1.2),
        S("Deutzer Freiheit", "auf der Deutzer Freiheit", (6.9712, 50.9368), (6.9785, 50.9357), 1.0),
        S("Bonner Straße", "auf der Bonner Straße", (6.9580, 50.9190), (6.9588, 50.9125), 0.8),
        S("Luxemburger Straße", "auf der Luxemburger Straße", (6.9395, 50.9292), (6.9305, 50.9220), 1.0),
        S("Brüsseler Straße", "in der Brüsseler Straße", (6.9350, 50.9330), (6.9335, 50.9410), 0.8),
        S("Krefelder Straße", "auf der Krefelder Straße", (6.9525, 50.9500), (6.9505, 50.9565), 0.8),
        S("Riehler Straße", "auf der Riehler Straße", (6.9625, 50.9500), (6.9665, 50.9565), 0.7),
        S("Hansaring", "am Hansaring", (6.9478, 50.9478), (6.9560, 50.9492), 1.0),
        S("Theodor-Heuss-Ring", "am Theodor-Heuss-Ring", (6.9590, 50.9492), (6.9645, 50.9478), 0.6),
        S("Sachsenring", "am Sachsenring", (6.9440, 50.9262), (6.9565, 50.9198), 0.9),
        S("Ubierring", "am Ubierring", (6.9595, 50.9196), (6.9672, 50.9222), 0.7),
        S("Vorgebirgsstraße", "auf der Vorgebirgsstraße", (6.9490, 50.9172), (6.9465, 50.9132), 0.6),
        S("Siegburger Straße", "auf der Siegburger Straße", (6.9735, 50.9300), (6.9770, 50.9235), 0.6),
        S("Deutz-Mülheimer Straße", "auf der Deutz-Mülheimer Straße", (6.9760, 50.9425), (6.9785, 50.9490), 0.6),
        S("Neumarkt", "am Neumarkt", (6.9462, 50.9356), (6.9498, 50.9358), 1.2, kind="square"),
        S("Rudolfplatz", "am Rudolfplatz", (6.9385, 50.9365), (6.9398, 50.9370), 0.8, kind="square"),
        S("Ebertplatz", "am Ebertplatz", (6.9575, 50.9495), (6.9590, 50.9502), 1.0, numbers=False, kind="square"),
        S("Chlodwigplatz", "am Chlodwigplatz", (6.9575, 50.9190), (6.9590, 50.9195), 0.6, numbers=False, kind="square"),
        S("Stadtgarten", "im Stadtgarten", (6.9365, 50.9425), (6.9395, 50.9440), 0.8, numbers=False, kind="park"),
        S("Volksgarten", "im Volksgarten", (6.9425, 50.9222), (6.9470, 50.9240), 0.9, numbers=False, kind="park"),
        S("Rheingarten", "an der Rheinuferpromenade am Rheingarten", (6.9626, 50.9392), (6.9634, 50.9352), 0.8,
          numbers=False, kind="park"),
    ],
    "stadt-siegen": [
        S("Kölner Straße", "in der Kölner Straße", (8.0178, 50.8748), (8.0222, 50.8754), 1.6),
        S("Sandstraße", "auf der Sandstraße", (8.0200, 50.8725), (8.0245, 50.8700), 1.4),
        S("Koblenzer Straße", "auf der Koblenzer Straße", (8.0210, 50.8710), (8.0250, 50.8640), 1.2),
        S("Marburger Straße", "auf der Marburger Straße", (8.0290, 50.8720), (8.0420, 50.8690), 1.1),
        S("Weidenauer Straße", "auf der Weidenauer Straße", (8.0215, 50.8790), (8.0245, 50.8890), 1.2),
        S("Hagener Straße", "auf der Hagener Straße", (8.0140, 50.8800), (8.0060, 50.8855), 0.9),
        S("Bahnhofstraße", "in der Bahnhofstraße", (8.0170, 50.8765), (8.0200, 50.8755), 1.0),
        S("Freudenberger Straße", "auf der Freudenberger Straße", (8.0120, 50.8730), (8.0010, 50.8705), 0.9),
        S("Frankfurter Straße", "auf der Frankfurter Straße", (8.0280, 50.8700), (8.0350, 50.8630), 0.9),
        S("Leimbachstraße", "in der Leimbachstraße", (8.0160, 50.8690), (8.0125, 50.8625), 0.8),
        S("Hindenburgstraße", "in der Hindenburgstraße", (8.0200, 50.8770), (8.0230, 50.8800), 0.8),
        S("Löhrstraße", "in der Löhrstraße", (8.0235, 50.8745), (8.0270, 50.8735), 0.9),
        S("Burgstraße", "in der Burgstraße", (8.0230, 50.8758), (8.0260, 50.8770), 0.7),
        S("Tiergartenstraße", "in der Tiergartenstraße", (8.0300, 50.8780), (8.0355, 50.8800), 0.8),
        S("Rosterstraße", "in der Rosterstraße", (8.0270, 50.8800), (8.0300, 50.8828), 0.7),
        S("Fischbacherbergstraße", "in der Fischbacherbergstraße", (8.0120, 50.8772), (8.0060, 50.8790), 0.7),
        S("Eiserfelder Straße", "auf der Eiserfelder Straße", (8.0150, 50.8688), (8.0065, 50.8610), 0.8),
        S("Achenbacher Straße", "in der Achenbacher Straße", (8.0290, 50.8660), (8.0320, 50.8610), 0.6),
        S("Unteres Schloss", "am Unteren Schloss", (8.0185, 50.8752), (8.0200, 50.8758), 0.8, kind="square"),
        S("Schlosspark", "im Schlosspark am Oberen Schloss", (8.0258, 50.8760), (8.0275, 50.8768), 0.7,
          numbers=False, kind="park"),
    ],
    "stadt-paderborn": [
        S("Westernstraße", "in der Westernstraße", (8.7478, 51.7178), (8.7530, 51.7183), 1.8),
        S("Rathausplatz", "am Rathausplatz", (8.7522, 51.7176), (8.7532, 51.7180), 0.8, kind="square"),
        S("Marienplatz", "am Marienplatz", (8.7535, 51.7182), (8.7545, 51.7186), 0.7, kind="square"),
        S("Königstraße", "in der Königstraße", (8.7505, 51.7195), (8.7460, 51.7215), 1.0),
        S("Kamp", "am Kamp", (8.7545, 51.7170), (8.7590, 51.7162), 1.0),
        S("Heiersstraße", "in der Heiersstraße", (8.7525, 51.7160), (8.7515, 51.7135), 0.8),
        S("Detmolder Straße", "auf der Detmolder Straße", (8.7600, 51.7205), (8.7760, 51.7255), 1.2),
        S("Bahnhofstraße", "in der Bahnhofstraße", (8.7465, 51.7160), (8.7420, 51.7140), 1.1),
        S("Neuhäuser Straße", "auf der Neuhäuser Straße", (8.7470, 51.7230), (8.7385, 51.7300), 1.0),
        S("Elsener Straße", "auf der Elsener Straße", (8.7610, 51.7125), (8.7660, 51.7050), 0.9),
        S("Warburger Straße", "auf der Warburger Straße", (8.7600, 51.7110), (8.7700, 51.7020), 1.0),
        S("Driburger Straße", "auf der Driburger Straße", (8.7640, 51.7150), (8.7800, 51.7120), 0.9),
        S("Riemekestraße", "in der Riemekestraße", (8.7480, 51.7125), (8.7430, 51.7085), 0.8),
        S("Fürstenweg", "am Fürstenweg", (8.7560, 51.7260), (8.7610, 51.7330), 0.9),
        S("Pohlweg", "am Pohlweg", (8.7690, 51.7080), (8.7740, 51.7060), 0.8),
        S("Liboriberg", "am Liboriberg", (8.7570, 51.7205), (8.7600, 51.7180), 0.8),
        S("Le-Mans-Wall", "am Le-Mans-Wall", (8.7480, 51.7150), (8.7530, 51.7140), 0.7),
        S("Ükern", "im Ükern", (8.7500, 51.7205), (8.7520, 51.7212), 0.6),
        S("Borchener Straße", "auf der Borchener Straße", (8.7450, 51.7110), (8.7385, 51.7030), 0.8),
        S("Husener Straße", "auf der Husener Straße", (8.7660, 51.7135), (8.7760, 51.7075), 0.7),
        S("Benhauser Straße", "auf der Benhauser Straße", (8.7735, 51.7240), (8.7840, 51.7295), 0.6),
        S("Bielefelder Straße", "auf der Bielefelder Straße", (8.7505, 51.7250), (8.7470, 51.7345), 0.7),
        S("Paderquellgebiet", "im Paderquellgebiet", (8.7510, 51.7195), (8.7530, 51.7203), 0.9,
          numbers=False, kind="park"),
    ],
    "stadt-muenster": [
        S("Prinzipalmarkt", "am Prinzipalmarkt", (7.6278, 51.9628), (7.6285, 51.9605), 1.4),
        S("Ludgeristraße", "in der Ludgeristraße", (7.6285, 51.9600), (7.6290, 51.9575), 1.2),
        S("Salzstraße", "in der Salzstraße", (7.6292, 51.9620), (7.6340, 51.9612), 1.0),
        S("Bahnhofstraße", "in der Bahnhofstraße", (7.6345, 51.9575), (7.6355, 51.9538), 1.2),
        S("Hammer Straße", "auf der Hammer Straße", (7.6265, 51.9540), (7.6282, 51.9455), 1.4),
        S("Wolbecker Straße", "auf der Wolbecker Straße", (7.6375, 51.9560), (7.6495, 51.9535), 1.2),
        S("Hafenweg", "am Hafenweg", (7.6420, 51.9520), (7.6470, 51.9505), 0.8),
        S("Warendorfer Straße", "auf der Warendorfer Straße", (7.6360, 51.9612), (7.6495, 51.9638), 1.0),
        S("Hörsterstraße", "in der Hörsterstraße", (7.6315, 51.9645), (7.6345, 51.9655), 0.7),
        S("Kanalstraße", "auf der Kanalstraße", (7.6295, 51.9690), (7.6318, 51.9770), 0.9),
        S("Steinfurter Straße", "auf der Steinfurter Straße", (7.6195, 51.9685), (7.6110, 51.9762), 1.0),
        S("Hüfferstraße", "in der Hüfferstraße", (7.6140, 51.9630), (7.6100, 51.9628), 0.7),
        S("Weseler Straße", "auf der Weseler Straße", (7.6200, 51.9545), (7.6110, 51.9468), 1.0),
        S("Aegidiistraße", "in der Aegidiistraße", (7.6245, 51.9590), (7.6220, 51.9575), 0.7),
        S("Kreuzstraße", "in der Kreuzstraße", (7.6240, 51.9660), (7.6250, 51.9685), 0.8),
        S("Promenade", "auf der Promenade", (7.6190, 51.9640), (7.6220, 51.9690), 1.6, numbers=False),
        S("Hauptbahnhof", "am Hauptbahnhof an der Radstation", (7.6345, 51.9565), (7.6356, 51.9572), 1.0,
          numbers=False, kind="square"),
        S("Schlossplatz", "am Schlossplatz", (7.6150, 51.9630), (7.6180, 51.9635), 0.7, kind="square"),
        S("Aasee", "am Aaseeufer an der Annette-Allee", (7.6150, 51.9560), (7.6112, 51.9522), 0.8,
          numbers=False, kind="park"),
    ],
}

# Number of reports per defect reporter.
REPORT_COUNTS = {"stadt-koeln": 118, "stadt-muenster": 92, "stadt-siegen": 78, "stadt-paderborn": 74}

# Category weights per defect reporter (order irrelevant).
CAT_WEIGHTS = {
    "stadt-koeln": {"road_damage": 3.0, "street_light": 2.0, "litter": 3.5, "graffiti": 2.0,
                    "traffic_sign": 1.2, "green_space": 1.3},
    "stadt-muenster": {"cycle_path": 3.5, "bike_parking": 2.5, "road_damage": 2.0, "street_light": 1.5,
                       "litter": 2.0},
    "stadt-siegen": {"road_damage": 3.5, "street_light": 2.0, "litter": 2.5, "playground": 1.2,
                     "winter_service": 1.0},
    "stadt-paderborn": {"road_damage": 3.0, "street_light": 2.0, "litter": 2.5, "cycle_path": 2.0,
                        "green_space": 1.5},
}

PARK_CATS = {"litter", "green_space", "playground", "graffiti", "street_light"}

# Anchor points well inside the defect-reporter areas (recognisable places).
REPORTER_ANCHORS = {
    "stadt-koeln": (6.9475, 50.9358, "Neumarkt"),
    "stadt-siegen": (8.0243, 50.8748, "Oberstadt / Markt"),
    "stadt-paderborn": (8.7553, 51.7185, "Hoher Dom"),
    "stadt-muenster": (7.6282, 51.9618, "Prinzipalmarkt"),
}

# ---------------------------------------------------------------------------
# Description templates
# ---------------------------------------------------------------------------

TEMPLATES = {
    "road_damage": [
        "Schlagloch {where}, etwa {size} cm tief. Besonders für Radfahrende gefährlich.",
        "Mehrere Gehwegplatten {where} sind lose und kippeln – Stolpergefahr, vor allem für ältere Menschen.",
        "Die Fahrbahndecke {where} ist großflächig aufgebrochen, nach Regen steht dort das Wasser.",
        "Abgesackter Kanaldeckel {where}. Autos schlagen beim Überfahren laut auf, nachts sehr störend.",
        "Bordstein {where} ist abgebrochen, scharfe Kanten ragen in den Gehweg.",
        "Risse und Spurrillen im Asphalt {where}, die seit dem letzten Winter deutlich größer geworden sind.",
        "Schlagloch {where} wurde nur provisorisch mit Kaltasphalt geflickt und ist schon wieder offen.",
        "Pflaster {where} hat sich abgesenkt, es bildet sich eine tiefe Mulde.",
    ],
    "street_light": [
        "Straßenlaterne {where} ist seit {days} Tagen dauerhaft aus. Abends ist der Gehweg komplett dunkel.",
        "Die Laterne {where} flackert ständig und geht immer wieder aus.",
        "Leuchte {where} brennt auch tagsüber durchgehend.",
        "Lampenmast {where} wurde angefahren und steht schief. Die Abdeckklappe fehlt, Kabel liegen offen!",
        "Gleich drei Laternen hintereinander sind {where} ausgefallen, der Abschnitt ist nachts stockdunkel.",
        "Die Beleuchtung {where} ist sehr schwach, man erkennt Fußgängerinnen und Fußgänger erst spät.",
    ],
    "litter": [
        "Illegale Müllablagerung {where}: {items}.",
        "Der Papierkorb {where} quillt seit Tagen über, der Müll wird vom Wind verteilt.",
        "Wilder Müll {where} – {items}. Bitte abholen.",
        "Der Containerstandort {where} ist stark verschmutzt, überall liegen Glasscherben.",
        "Nach dem Wochenende liegen {where} viele Scherben, Becher und Essensreste herum.",
        "{items_cap} {where} abgestellt, liegt dort schon seit über einer Woche.",
    ],
    "graffiti": [
        "Großflächige Graffiti-Schmiererei an der Hauswand {where}.",
        "Verkehrsschild {where} ist mit Graffiti besprüht und kaum noch lesbar.",
        "Beleidigende Parolen an der Mauer {where}. Bitte zeitnah entfernen.",
        "Der Stromkasten {where} ist komplett beschmiert.",
        "Frische Tags an der Bushaltestelle {where}, auch die Glasscheiben sind zerkratzt.",
    ],
    "traffic_sign": [
        "Die Fußgängerampel {where} ist defekt und zeigt dauerhaft Rot.",
        "Verkehrsschild {where} ist umgefahren und liegt auf dem Gehweg.",
        "Das Haltverbotsschild {where} ist verdreht und zeigt in die falsche Richtung.",
        "Der Anforderungstaster der Ampel {where} reagiert nicht.",
        "Die Ampelschaltung {where} ist für Fußgänger viel zu kurz, man schafft es kaum über die Straße.",
    ],
    "green_space": [
        "Ein großer Ast ist abgebrochen und hängt {where} über dem Gehweg – Gefahr für Passanten.",
        "Die Baumscheibe {where} ist zugemüllt und der junge Baum vertrocknet.",
        "Die Hecke {where} wächst weit in den Gehweg, mit Kinderwagen kommt man nicht mehr vorbei.",
        "Baumwurzeln heben {where} das Pflaster an.",
        "Die Rasenfläche {where} wurde seit Wochen nicht gemäht.",
        "Neu gepflanzter Straßenbaum {where} wird offenbar nicht gegossen und lässt die Blätter hängen.",
    ],
    "playground": [
        "Auf dem Spielplatz {loc} ist die Kette der Schaukel gerissen.",
        "Die Rutsche auf dem Spielplatz {loc} hat scharfe Kanten, ein Kind hat sich verletzt.",
        "Im Sandkasten auf dem Spielplatz {loc} liegen Glasscherben. Bitte dringend reinigen!",
        "Das Klettergerüst auf dem Spielplatz {loc} wackelt, ein Brett fehlt.",
        "Der Zaun am Spielplatz {loc} ist kaputt, kleine Kinder können auf die Straße laufen.",
    ],
    "winter_service": [
        "Der Gehweg {where} ist spiegelglatt und wurde heute noch nicht gestreut.",
        "Der Streugutbehälter {where} ist leer.",
        "Das Räumfahrzeug hat den Schnee {where} auf den Gehweg geschoben, die Bushaltestelle ist nicht erreichbar.",
        "Die steile Passage {where} ist vereist, Busse kommen kaum noch hoch.",
    ],
    "cycle_path": [
        "Der Radweg {where} ist ständig durch parkende Autos und Lieferwagen blockiert.",
        "Auf dem Radweg {where} liegen Glasscherben.",
        "Baumwurzeln haben den Radweg {where} stark aufgewölbt – Sturzgefahr.",
        "Die Markierung des Radfahrstreifens {where} ist kaum noch zu erkennen.",
        "Die Bordsteinabsenkung am Übergang zum Radweg {where} fehlt, die Kante ist sehr hoch.",
        "Eine Baustellenabsperrung blockiert den Radweg {where}, eine Umleitung ist nicht ausgeschildert.",
        "Nach Regen steht {where} eine große Pfütze auf dem Radweg, man muss auf die Fahrbahn ausweichen.",
    ],
    "bike_parking": [
        "Schrottfahrrad {where} seit Monaten abgestellt, ohne Sattel und Vorderrad.",
        "Mehrere Fahrradbügel {where} sind verbogen oder fehlen ganz.",
        "Die Fahrradständer {where} sind dauerhaft überfüllt, bitte zusätzliche Bügel aufstellen.",
        "Drei Fahrräder mit platten Reifen blockieren {where} seit Wochen die Abstellanlage.",
    ],
}

LITTER_ITEMS = [
    "ein alter Kühlschrank und mehrere Säcke Bauschutt",
    "Sperrmüll (Sofa und Matratze) am Straßenrand",
    "vier Altreifen",
    "Kartons und Elektroschrott",
    "mehrere aufgerissene gelbe Säcke",
    "ein Einkaufswagen voller Müll",
    "Farbeimer und Renovierungsabfälle",
]

EXTRA_SENTENCES = [
    "Bitte um schnelle Prüfung.",
    "Danke für die Bearbeitung!",
    "Das ist schon seit längerer Zeit so.",
    "Ein Foto kann ich gern nachreichen.",
    "Hatte das vor einigen Wochen schon einmal telefonisch gemeldet.",
]
EXTRA_STREET = ["Betrifft auch die gegenüberliegende Straßenseite."]
EXTRA_HAZARD = ["Viele Kinder nutzen hier den Schulweg.", "Gerade abends ist das gefährlich.",
                "Ich bin dort selbst fast gestürzt."]
HAZARD_CATS = {"road_damage", "street_light", "cycle_path", "traffic_sign", "winter_service"}

PARK_WHERE = ["{loc}", "{loc} am Hauptweg", "{loc} in der Nähe der Sitzbänke", "{loc} nahe dem Eingang"]
SQUARE_WHERE_NONUM = ["{loc}", "{loc} an der Haltestelle", "{loc} auf der Nordseite", "{loc} auf der Südseite"]
STREET_WHERE = [
    "{loc} vor Hausnummer {nr}",
    "{loc} Höhe Hausnummer {nr}",
    "{loc} gegenüber Hausnummer {nr}",
    "{loc} zwischen Hausnummer {nr} und {nr2}",
    "{loc}",
]
STREET_WHERE_NONUM = ["{loc}", "{loc} in Höhe der Einmündung", "{loc} an der Bushaltestelle"]

# ---------------------------------------------------------------------------
# Geometry helpers
# ---------------------------------------------------------------------------


def ring_area_xy(pts):
    """Signed shoelace area of an open or closed ring of (x, y)."""
    s = 0.0
    n = len(pts)
    for i in range(n):
        x1, y1 = pts[i]
        x2, y2 = pts[(i + 1) % n]
        s += x1 * y2 - x2 * y1
    return s / 2.0


def star_ring(spec, seed):
    """Closed ring in integer micro-degrees (CCW) for a poly spec."""
    rng = random.Random(seed)
    n = spec["n"]
    harmonics = [(k, rng.uniform(0.02, 0.10) / math.sqrt(k), rng.uniform(0.0, 2.0 * math.pi))
                 for k in (2, 3, 4, 5)]
    step = 2.0 * math.pi / n
    phase = rng.uniform(0.0, 2.0 * math.pi)
    pts = []
    for i in range(n):
        th = phase + i * step + rng.uniform(-0.3, 0.3) * step
        r = 1.0 + sum(a * math.cos(k * th + ph) for k, a, ph in harmonics)
        r += rng.uniform(-spec["rough"], spec["rough"])
        r = max(r, 0.4)
        pts.append((r * math.cos(th), r * math.sin(th)))
    sx = math.sqrt(spec["elong"])
    sy = 1.0 / sx
    rot = math.radians(spec["rot"])
    c, s = math.cos(rot), math.sin(rot)
    pts = [(c * x * sx - s * y * sy, s * x * sx + c * y * sy) for x, y in pts]
    k = math.sqrt(spec["area"] / ring_area_xy(pts))  # unit -> km
    kx = km_per_deg_lon(spec["lat"])
    ring = [(micro(spec["lon"] + x * k / kx), micro(spec["lat"] + y * k / KM_PER_DEG_LAT)) for x, y in pts]
    ring.append(ring[0])
    return ring


def build_geometry(geom, seed):
    """Returns (geojson-like dict with int coordinates, list of polygons) or (None, [])."""
    if geom is None:
        return None, []
    typ, spec = geom
    if typ == "point":
        return {"type": "Point", "coordinates": (micro(spec["lon"]), micro(spec["lat"]))}, []
    if typ == "poly":
        ring = star_ring(spec, seed)
        return {"type": "Polygon", "coordinates": [ring]}, [[ring]]
    if typ == "multi":
        polys = [[star_ring(p, seed + 7919 * (i + 1))] for i, p in enumerate(spec)]
        return {"type": "MultiPolygon", "coordinates": polys}, polys
    raise ValueError(typ)


class LocalProj:
    """Equirectangular projection to metres around a reference point."""

    def __init__(self, lon0, lat0):
        self.lon0, self.lat0 = lon0, lat0
        self.kx = km_per_deg_lon(lat0) * 1000.0
        self.ky = KM_PER_DEG_LAT * 1000.0

    def fwd(self, lon, lat):
        return ((lon - self.lon0) * self.kx, (lat - self.lat0) * self.ky)

    def inv(self, x, y):
        return (self.lon0 + x / self.kx, self.lat0 + y / self.ky)


def point_in_ring(x, y, ring):
    inside = False
    n = len(ring) - 1
    for i in range(n):
        x1, y1 = ring[i]
        x2, y2 = ring[i + 1]
        if (y1 > y) != (y2 > y):
            xi = x1 + (y - y1) * (x2 - x1) / (y2 - y1)
            if xi > x:
                inside = not inside
    return inside


def seg_dist(px, py, x1, y1, x2, y2):
    dx, dy = x2 - x1, y2 - y1
    L2 = dx * dx + dy * dy
    t = 0.0 if L2 == 0 else max(0.0, min(1.0, ((px - x1) * dx + (py - y1) * dy) / L2))
    return math.hypot(px - (x1 + t * dx), py - (y1 + t * dy))


def inside_with_margin(lon, lat, polygons):
    """(inside?, distance to nearest boundary in metres) for lon/lat degrees."""
    proj = LocalProj(lon, lat)
    inside = False
    dmin = float("inf")
    for rings in polygons:
        deg = [[(a / 1e6, b / 1e6) for a, b in r] for r in rings]
        in_poly = point_in_ring(lon, lat, deg[0]) and not any(point_in_ring(lon, lat, h) for h in deg[1:])
        inside = inside or in_poly
        for r in deg:
            xy = [proj.fwd(a, b) for a, b in r]
            for i in range(len(xy) - 1):
                dmin = min(dmin, seg_dist(0.0, 0.0, xy[i][0], xy[i][1], xy[i + 1][0], xy[i + 1][1]))
    return inside, dmin


def orient(a, b, c):
    v = (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])
    return (v > 0) - (v < 0)


def on_segment(a, b, c):
    return min(a[0], b[0]) <= c[0] <= max(a[0], b[0]) and min(a[1], b[1]) <= c[1] <= max(a[1], b[1])


def segments_intersect(p1, p2, p3, p4):
    d1, d2 = orient(p3, p4, p1), orient(p3, p4, p2)
    d3, d4 = orient(p1, p2, p3), orient(p1, p2, p4)
    if d1 != d2 and d3 != d4:
        return True
    if d1 == 0 and on_segment(p3, p4, p1):
        return True
    if d2 == 0 and on_segment(p3, p4, p2):
        return True
    if d3 == 0 and on_segment(p1, p2, p3):
        return True
    if d4 == 0 and on_segment(p1, p2, p4):
        return True
    return False


def check_ring(ring, exterior, what):
    """Exact checks on an integer ring."""
    assert len(ring) >= 4, f"{what}: ring has < 4 positions"
    assert ring[0] == ring[-1], f"{what}: ring not closed"
    assert len(set(ring[:-1])) == len(ring) - 1, f"{what}: repeated vertex"
    area2 = sum(ring[i][0] * ring[i + 1][1] - ring[i + 1][0] * ring[i][1] for i in range(len(ring) - 1))
    if exterior:
        assert area2 > 0, f"{what}: exterior ring not counter-clockwise"
    else:
        assert area2 < 0, f"{what}: hole not clockwise"
    n = len(ring) - 1
    for i in range(n):
        for j in range(i + 1, n):
            if j == i + 1 or (i == 0 and j == n - 1):
                continue  # adjacent edges share a vertex
            if segments_intersect(ring[i], ring[i + 1], ring[j], ring[j + 1]):
                raise AssertionError(f"{what}: self-intersection between edges {i} and {j}")


def polygons_disjoint(pa, pb):
    ra, rb = pa[0], pb[0]
    for i in range(len(ra) - 1):
        for j in range(len(rb) - 1):
            if segments_intersect(ra[i], ra[i + 1], rb[j], rb[j + 1]):
                return False
    a0 = (ra[0][0] / 1e6, ra[0][1] / 1e6)
    b0 = (rb[0][0] / 1e6, rb[0][1] / 1e6)
    if point_in_ring(a0[0], a0[1], [(x / 1e6, y / 1e6) for x, y in rb]):
        return False
    if point_in_ring(b0[0], b0[1], [(x / 1e6, y / 1e6) for x, y in ra]):
        return False
    return True


def polygon_area_km2(rings):
    ring = rings[0]
    lat0 = ring[0][1] / 1e6
    kx = km_per_deg_lon(lat0)
    xy = [(x / 1e6 * kx, y / 1e6 * KM_PER_DEG_LAT) for x, y in ring[:-1]]
    return ring_area_xy(xy)


def bbox(polygons):
    xs = [p[0] for rings in polygons for r in rings for p in r]
    ys = [p[1] for rings in polygons for r in rings for p in r]
    return min(xs), min(ys), max(xs), max(ys)


def deepest_point(polygons, step_m=10.0):
    """Grid search for the point farthest from the boundary (pole of inaccessibility)."""
    x0, y0, x1, y1 = bbox(polygons)
    lat_c = (y0 + y1) / 2e6
    dlat = step_m / (KM_PER_DEG_LAT * 1000.0)
    dlon = step_m / (km_per_deg_lon(lat_c) * 1000.0)
    best = None
    lat = y0 / 1e6 + dlat / 2
    while lat < y1 / 1e6:
        lon = x0 / 1e6 + dlon / 2
        while lon < x1 / 1e6:
            ins, d = inside_with_margin(lon, lat, polygons)
            if ins and (best is None or d > best[2]):
                best = (micro(lon), micro(lat), d)
            lon += dlon
        lat += dlat
    return best


# ---------------------------------------------------------------------------
# Dates and statuses
# ---------------------------------------------------------------------------

def parse_date(s):
    return dt.date.fromisoformat(s)


def derived_status(start, end):
    if parse_date(start) > TODAY:
        return "upcoming"
    if end is not None and parse_date(end) < TODAY:
        return "closed"
    return "running"


HOUR_WEIGHTS = [0.2, 0.1, 0.05, 0.05, 0.2, 0.6, 1.5, 3.0, 4.0, 4.0, 3.5, 3.0,
                3.2, 3.0, 3.0, 3.5, 4.0, 4.5, 4.2, 3.5, 3.0, 2.0, 1.2, 0.6]


def weighted_choice(rng, items, weights):
    total = sum(weights)
    r = rng.uniform(0.0, total)
    acc = 0.0
    for it, w in zip(items, weights):
        acc += w
        if r <= acc:
            return it
    return items[-1]


def random_created(rng, first_day, last_day, recent_bias=True):
    span = (last_day - first_day).days
    if recent_bias and rng.random() < 0.15:
        lo = max(0, span - 20)
        day = first_day + dt.timedelta(days=rng.randint(lo, span))
    else:
        day = first_day + dt.timedelta(days=rng.randint(0, span))
    hour = weighted_choice(rng, list(range(24)), HOUR_WEIGHTS)
    minute = rng.randint(0, 59)
    second = rng.randint(0, 59)
    return dt.datetime(day.year, day.month, day.day, hour, minute, second)


def report_status(rng, created):
    age = (TODAY - created.date()).days
    if age < 10:
        table = (("submitted", 45), ("published", 42), ("in_progress", 8), ("rejected", 5))
    elif age < 60:
        table = (("submitted", 2), ("published", 52), ("in_progress", 28), ("resolved", 13), ("rejected", 5))
    else:
        table = (("published", 44), ("in_progress", 14), ("resolved", 37), ("rejected", 5))
    return weighted_choice(rng, [t[0] for t in table], [t[1] for t in table])


# ---------------------------------------------------------------------------
# Reports
# ---------------------------------------------------------------------------

def house_number(rng):
    nr = int(rng.triangular(1, 140, 8))
    return nr


def where_phrase(rng, st):
    if st["kind"] == "park":
        pat = rng.choice(PARK_WHERE)
    elif not st["numbers"]:
        pat = rng.choice(SQUARE_WHERE_NONUM if st["kind"] == "square" else STREET_WHERE_NONUM)
    else:
        pat = rng.choice(STREET_WHERE)
    nr = house_number(rng)
    nr_s = str(nr) + (rng.choice("abc") if rng.random() < 0.08 else "")
    return pat.format(loc=st["loc"], nr=nr_s, nr2=nr + rng.choice([2, 4, 6]))


def make_description(rng, cat, st):
    tpl = rng.choice(TEMPLATES[cat])
    items = rng.choice(LITTER_ITEMS)
    text = tpl.format(
        where=where_phrase(rng, st),
        loc=st["loc"],
        size=rng.choice([5, 8, 10, 12, 15, 20]),
        days=rng.choice([3, 4, 5, 7, 10, 14]),
        items=items,
        items_cap=items[0].upper() + items[1:],
    )
    if rng.random() < 0.35:
        pool = list(EXTRA_SENTENCES)
        if st["kind"] == "street":
            pool += EXTRA_STREET
        if cat in HAZARD_CATS:
            pool += EXTRA_HAZARD
        text += " " + rng.choice(pool)
    return text


def winter_window(first_day, last_day):
    """Days on which winter-service reports are plausible (Nov-Mar)."""
    days = []
    d = first_day
    while d <= last_day:
        if d.month in (11, 12, 1, 2) or (d.month == 3 and d.day <= 20):
            days.append(d)
        d += dt.timedelta(days=1)
    return days


def generate_reports(proc, polygons):
    org = proc["org"]
    rng = random.Random(seed_of("reports", org, proc["ext"]))
    streets = STREETS[org]
    weights = CAT_WEIGHTS[org]
    codes = [c["code"] for c in proc["categories"]]
    assert set(weights) == set(codes), org
    lon0, lat0 = REPORTER_ANCHORS[org][:2]
    proj = LocalProj(lon0, lat0)
    first_day = parse_date(proc["start"])
    last_day = TODAY - dt.timedelta(days=1)
    if proc["end"] is not None:
        last_day = min(last_day, parse_date(proc["end"]))
    winter_days = winter_window(first_day, last_day)
    email_pool = rng.sample(range(1, 400), 90)

    reports = []
    placed = []  # (x, y, street, cat)
    attempts = 0
    while len(reports) < REPORT_COUNTS[org]:
        attempts += 1
        assert attempts < 20000, f"{org}: cannot place reports"
        if placed and rng.random() < 0.13:
            # follow-up report close to an earlier one (same problem spot)
            bx, by, st, cat = rng.choice(placed)
            x = bx + rng.gauss(0.0, 8.0)
            y = by + rng.gauss(0.0, 8.0)
        else:
            st = weighted_choice(rng, streets, [s["w"] for s in streets])
            allowed = [c for c in codes if st["kind"] != "park" or c in PARK_CATS]
            cat = weighted_choice(rng, allowed, [weights[c] for c in allowed])
            ax, ay = proj.fwd(*st["a"])
            bx_, by_ = proj.fwd(*st["b"])
            t = rng.random()
            x = ax + t * (bx_ - ax)
            y = ay + t * (by_ - ay)
            L = math.hypot(bx_ - ax, by_ - ay)
            spread = 35.0 if st["kind"] == "park" else (14.0 if st["kind"] == "square" else 9.0)
            if L > 0:
                nx, ny = -(by_ - ay) / L, (bx_ - ax) / L
                off = rng.gauss(0.0, spread)
                x += nx * off
                y += ny * off
            x += rng.gauss(0.0, 4.0)
            y += rng.gauss(0.0, 4.0)
        lon, lat = proj.inv(x, y)
        lon_u, lat_u = micro(lon), micro(lat)
        ins, d = inside_with_margin(lon_u / 1e6, lat_u / 1e6, polygons)
        if not ins or d < 35.0:
            continue
        if cat == "winter_service":
            day = rng.choice(winter_days)
            created = dt.datetime(day.year, day.month, day.day,
                                  weighted_choice(rng, list(range(24)), HOUR_WEIGHTS[:5] + [3.0, 5.0, 5.0] + HOUR_WEIGHTS[8:]),
                                  rng.randint(0, 59), rng.randint(0, 59))
        else:
            created = random_created(rng, first_day, last_day)
        desc = make_description(rng, cat, st)
        assert 20 <= len(desc) <= 400, desc
        rep = {
            "lonlat": (lon_u, lat_u),
            "organisation": org,
            "procedure": proc["ext"],
            "category": cat,
            "description": desc,
            "status": report_status(rng, created),
            "created": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        if rng.random() < 0.34:
            n = rng.choice(email_pool)
            local = rng.choice(["melder%d", "melder%d", "melder%d", "buerger%d", "hinweis%d"]) % n
            rep["contact_email"] = local + "@example.org"
        reports.append(rep)
        placed.append((x, y, st, cat))
    reports.sort(key=lambda r: (r["created"], r["lonlat"]))
    return reports


# ---------------------------------------------------------------------------
# Serialisation (pretty-printed, one line per position, 6 decimals)
# ---------------------------------------------------------------------------

def js(v):
    return json.dumps(v, ensure_ascii=False)


def pos(p):
    return "[%s, %s]" % (fmt_micro(p[0]), fmt_micro(p[1]))


def geometry_lines(geom, ind):
    pad = " " * ind
    if geom is None:
        return [pad + '"geometry": null']
    t = geom["type"]
    out = [pad + '"geometry": {', pad + '  "type": %s,' % js(t)]
    if t == "Point":
        out.append(pad + '  "coordinates": %s' % pos(geom["coordinates"]))
    else:
        polys = [geom["coordinates"]] if t == "Polygon" else geom["coordinates"]
        out.append(pad + '  "coordinates": [')
        lines = []

        def ring_lines(ring, ind2):
            p2 = " " * ind2
            return [p2 + "["] + [p2 + "  " + pos(p) + ("," if i < len(ring) - 1 else "") for i, p in enumerate(ring)] + [p2 + "]"]

        if t == "Polygon":
            for ri, ring in enumerate(polys[0]):
                rl = ring_lines(ring, ind + 4)
                if ri < len(polys[0]) - 1:
                    rl[-1] += ","
                lines += rl
        else:
            for pi, rings in enumerate(polys):
                lines.append(" " * (ind + 4) + "[")
                for ri, ring in enumerate(rings):
                    rl = ring_lines(ring, ind + 6)
                    if ri < len(rings) - 1:
                        rl[-1] += ","
                    lines += rl
                lines.append(" " * (ind + 4) + "]" + ("," if pi < len(polys) - 1 else ""))
        out += lines
        out.append(pad + "  ]")
    out.append(pad + "}")
    return out


def properties_lines(props, ind):
    pad = " " * ind
    out = [pad + '"properties": {']
    items = list(props.items())
    for i, (k, v) in enumerate(items):
        comma = "," if i < len(items) - 1 else ""
        if k == "categories":
            out.append(pad + '  "categories": [')
            for j, c in enumerate(v):
                out.append(pad + "    " + js(c) + ("," if j < len(v) - 1 else ""))
            out.append(pad + "  ]" + comma)
        else:
            out.append(pad + "  %s: %s%s" % (js(k), js(v), comma))
    out.append(pad + "}")
    return out


def feature_collection(features):
    """features: list of (properties dict, geometry dict or None)."""
    lines = ["{", '  "type": "FeatureCollection",', '  "features": [']
    for i, (props, geom) in enumerate(features):
        lines.append("    {")
        lines.append('      "type": "Feature",')
        g = geometry_lines(geom, 6)
        g[-1] += ","
        lines += g
        lines += properties_lines(props, 6)
        lines.append("    }" + ("," if i < len(features) - 1 else ""))
    lines += ["  ]", "}"]
    return "\n".join(lines) + "\n"


def write(path, text):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)


# ---------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------

def main():
    # --- organisations ---------------------------------------------------
    org_keys = set()
    org_features = []
    for key, name, kind, ags, parent, (lon, lat) in ORGANISATIONS:
        assert key not in org_keys, key
        assert parent is None or parent in org_keys, f"{key}: parent {parent} must come first"
        assert (parent is None) == (kind == "state"), key
        assert ags is None or (ags.isdigit() and len(ags) in (2, 3, 5, 8)), key
        org_keys.add(key)
        props = {"key": key, "name": name, "kind": kind}
        if ags is not None:
            props["ags"] = ags
        if parent is not None:
            props["parent"] = parent
        # The portal whose pages frame the maps of the organisation's
        # procedures (the CSP frame-ancestors of /embed/procedures/{id}).
        props["embed_origins"] = ["https://beteiligung.nrw.de"]
        org_features.append((props, {"type": "Point", "coordinates": (micro(lon), micro(lat))}))

    # --- procedures --------------------------------------------------------
    proc_features = []
    proc_polys = {}
    seen = set()
    used_numbers = set()
    for p in PROCEDURES:
        ident = (p["org"], p["ext"])
        assert p["org"] in org_keys, ident
        assert ident not in seen, ident
        seen.add(ident)
        assert p["end"] is None or p["end"] >= p["start"], ident
        assert ("categories" in p) == (p["kind"] == "reporting"), ident
        geom, polys = build_geometry(p["geom"], seed_of("geom", *ident))
        for pi, rings in enumerate(polys):
            for ri, ring in enumerate(rings):
                check_ring(ring, ri == 0, "%s/%s polygon %d ring %d" % (ident + (pi, ri)))
                assert 9 <= len(ring) <= 61, ident
        for i in range(len(polys)):
            for j in range(i + 1, len(polys)):
                assert polygons_disjoint(polys[i], polys[j]), f"{ident}: parts overlap"
        proc_polys[ident] = polys
        num = 1000 + seed_of("url", *ident) % 9000
        while num in used_numbers:
            num += 1
        used_numbers.add(num)
        props = {
            "organisation": p["org"],
            "external_id": p["ext"],
            "title": p["title"],
            "summary": p["summary"],
            "kind": p["kind"],
            "start": p["start"],
            "end": p["end"],
            "url": PORTAL.format(org=p["org"], num=num),
        }
        if "categories" in p:
            props["categories"] = p["categories"]
        if "moderation" in p:
            props["moderation"] = p["moderation"]
        proc_features.append((props, geom))

    # --- reports -----------------------------------------------------------
    all_reports = []
    for p in PROCEDURES:
        if p["kind"] == "reporting":
            all_reports += generate_reports(p, proc_polys[(p["org"], p["ext"])])
    rep_features = []
    for r in all_reports:
        props = {k: r[k] for k in ("organisation", "procedure", "category", "description", "status", "created")}
        if "contact_email" in r:
            props["contact_email"] = r["contact_email"]
        rep_features.append((props, {"type": "Point", "coordinates": r["lonlat"]}))

    # --- bars ------------------------------------------------------------------
    reporters = [p for p in PROCEDURES if p["kind"] == "reporting"]
    assert len(PROCEDURES) >= 40 and len({p["org"] for p in PROCEDURES}) >= 15
    assert len(all_reports) >= 300 and len(reporters) >= 3
    assert sum(1 for p in PROCEDURES if p["geom"] is None) >= 2
    for p in reporters:
        assert derived_status(p["start"], p["end"]) == "running"

    write(os.path.join(HERE, "organisations.geojson"), feature_collection(org_features))
    write(os.path.join(HERE, "procedures.geojson"), feature_collection(proc_features))
    write(os.path.join(HERE, "reports.geojson"), feature_collection(rep_features))

    # --- summary and anchors -------------------------------------------------
    out = []
    out.append("organisations: %d" % len(org_features))
    kinds = {}
    stats = {}
    for p in PROCEDURES:
        kinds[p["kind"]] = kinds.get(p["kind"], 0) + 1
        s = derived_status(p["start"], p["end"])
        stats[s] = stats.get(s, 0) + 1
    out.append("procedures: %d  by kind: %s" % (len(PROCEDURES), ", ".join("%s=%d" % kv for kv in sorted(kinds.items()))))
    out.append("procedures by derived status (as of %s): %s" % (TODAY, ", ".join("%s=%d" % kv for kv in sorted(stats.items()))))
    gt = {}
    for p in PROCEDURES:
        t = "null" if p["geom"] is None else {"poly": "Polygon", "multi": "MultiPolygon", "point": "Point"}[p["geom"][0]]
        gt[t] = gt.get(t, 0) + 1
    out.append("procedure geometries: %s" % ", ".join("%s=%d" % kv for kv in sorted(gt.items())))
    out.append("reports: %d" % len(all_reports))
    print("\n".join(out))
    anchors = anchors_markdown(reporters, all_reports, proc_polys)
    print()
    print(anchors)
    update_readme(anchors)


STATUSES = ["submitted", "published", "in_progress", "resolved", "rejected"]


def anchors_markdown(reporters, reports, proc_polys):
    L = []
    L.append("## Anchors for tests")
    L.append("")
    L.append("Generated by `make_sample.py` (reference date %s) – do not edit this section by hand." % TODAY)
    L.append("")
    L.append("### Defect reporters")
    L.append("")
    for p in reporters:
        ident = (p["org"], p["ext"])
        polys = proc_polys[ident]
        lon, lat, label = REPORTER_ANCHORS[p["org"]]
        ins, d = inside_with_margin(lon, lat, polys)
        assert ins and d >= 300.0, (ident, d)
        reps = [r for r in reports if (r["organisation"], r["procedure"]) == ident]
        by = {s: sum(1 for r in reps if r["status"] == s) for s in STATUSES}
        emails = sum(1 for r in reps if "contact_email" in r)
        x0, y0, x1, y1 = bbox(polys)
        L.append("- `%s/%s` – %s" % (ident + (p["title"],)))
        L.append("  - area %.2f km², period %s – %s, categories: %s" % (
            sum(polygon_area_km2(r) for r in polys), p["start"], p["end"] or "open-ended",
            ", ".join(c["code"] for c in p["categories"])))
        L.append("  - reports: %d total (%s); %d with contact_email" % (
            len(reps), ", ".join("%s %d" % (s, by[s]) for s in STATUSES), emails))
        L.append("  - point well inside (%s): lon %s, lat %s (%.0f m from the boundary)" % (
            label, fmt_micro(micro(lon)), fmt_micro(micro(lat)), d))
        L.append("  - bbox [min lon, min lat, max lon, max lat]: [%s, %s, %s, %s]" % (
            fmt_micro(x0), fmt_micro(y0), fmt_micro(x1), fmt_micro(y1)))
    L.append("")
    L.append("### Other procedures")
    L.append("")
    by_id = {(p["org"], p["ext"]): p for p in PROCEDURES}
    # land-use plan polygon
    ident = ("stadt-koeln", "bplan-71459-deutzer-hafen-nord")
    p = by_id[ident]
    lon_u, lat_u, d = deepest_point(proc_polys[ident])
    x0, y0, x1, y1 = bbox(proc_polys[ident])
    L.append("- land-use plan (Polygon): `%s/%s` – %s" % (ident + (p["title"],)))
    L.append("  - area %.2f km²; point inside: lon %s, lat %s (%.0f m from the boundary); bbox [%s, %s, %s, %s]" % (
        polygon_area_km2(proc_polys[ident][0]), fmt_micro(lon_u), fmt_micro(lat_u), d,
        fmt_micro(x0), fmt_micro(y0), fmt_micro(x1), fmt_micro(y1)))
    # multipolygon
    ident = ("stadt-siegen", "fnp-67-eiserfeld")
    p = by_id[ident]
    L.append("- land-use plan (MultiPolygon, %d parts): `%s/%s` – %s" % ((len(proc_polys[ident]),) + ident + (p["title"],)))
    for i, part in enumerate(proc_polys[ident]):
        lon_u, lat_u, d = deepest_point([part])
        L.append("  - part %d: point inside lon %s, lat %s (%.0f m from the boundary)" % (
            i + 1, fmt_micro(lon_u), fmt_micro(lat_u), d))
    # point event
    ident = ("stadt-dortmund", "stadtgespraeche-2035")
    p = by_id[ident]
    lon, lat = p["geom"][1]["lon"], p["geom"][1]["lat"]
    L.append("- event (Point): `%s/%s` – %s" % (ident + (p["title"],)))
    L.append("  - point: lon %s, lat %s (Dortmunder U); status running (%s – %s)" % (
        fmt_micro(micro(lon)), fmt_micro(micro(lat)), p["start"], p["end"]))
    # draft law without geometry
    ident = ("justizministerium-nrw", "jvollzg-modernisierung")
    p = by_id[ident]
    L.append("- draft law (geometry null): `%s/%s` – %s" % (ident + (p["title"],)))
    L.append("  - statewide, no geometry; status running (%s – %s)" % (p["start"], p["end"]))
    L.append("")
    return "\n".join(L)


def update_readme(anchors):
    path = os.path.join(HERE, "README.md")
    if not os.path.exists(path):
        return
    with open(path, encoding="utf-8") as f:
        text = f.read()
    marker = "## Anchors for tests"
    head = text.split(marker)[0] if marker in text else text.rstrip("\n") + "\n\n"
    write(path, head + anchors)


if __name__ == "__main__":
    sys.exit(main())
