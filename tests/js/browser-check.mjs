#!/usr/bin/env node
// Loads a page of the partimap tile server in headless Debian Chromium and
// reports what a person's browser would have seen, as ONE JSON object on stdout:
//
//   {"url", "loaded", "console_errors", "console_warnings", "page_errors",
//    "failed_requests", "third_party_requests", "requests", "dialogs",
//    "rendered": {"by_source_layer": {...}, "by_layer": {...}, "total": n},
//    "map": {...}, "webgl": {...}, "title", ["click"], ["popup"], ["frame_eval"],
//    ["frame_eval_error"], ["eval"], ["eval_error"], ["drag"], ["then_eval"],
//    ["then_eval_error"], ["axe"], ["screenshot"], ["error"]}
//
// Usage:
//   node tests/js/browser-check.mjs URL [--screenshot OUT.png] [--timeout-ms N]
//        [--viewport WxH] [--click LON,LAT] [--eval 'JS expression'] [--axe]
//
//   --timeout-ms N   how long to wait for the map to become idle (default 30000)
//   --viewport WxH   page size in CSS pixels (default 1280x900)
//   --click LON,LAT  after idle, click the map with the real mouse at that place
//                    and report the popup that opened ("popup")
//   --frame-eval FN  a function called in the page's first frame (an embed in a
//                    portal's page) before --eval; its awaited value is "frame_eval"
//   --drag SEL@DX,DY after --eval, the element SEL dragged DX,DY CSS pixels with the real mouse
//   --then-eval FN   after --drag, a function called in the page; its value is "then_eval"
//   --eval EXPR      evaluated in the page after idle (and after --click); its
//                    (awaited, JSON-serialisable) value is reported as "eval"
//   --axe            run axe-core on the page and report its violations ("axe")
//   --wait-for EXPR  wait until this expression is true in the page instead of
//                    for a map of partimap's (e.g. on a host page framing one)
//
// The exit code is 0 whenever the check could be run (the caller asserts on the
// JSON), 2 on a usage error and 3 when the browser could not be launched.
//
// Chromium: /usr/bin/chromium or $CHROMIUM_PATH (see CHROMIUM_ARGS for WebGL).

import {createRequire} from 'node:module';
import {readFileSync} from 'node:fs';
import {chromium} from 'playwright-core';

const require = createRequire(import.meta.url);

// WebGL (which MapLibre needs) runs headless on ANGLE's SwiftShader backend:
// --use-angle=swiftshader selects it, and --enable-unsafe-swiftshader allows it
// (Chromium >= 137 otherwise warns "Automatic fallback to software WebGL has
// been deprecated" and will refuse in future; playwright-core also passes it).
// Do NOT add --disable-gpu: with it Chromium logs "GPU stall due to ReadPixels"
// console warnings on every frame MapLibre draws.
// Extra flags can be passed through $CHROMIUM_EXTRA_ARGS (space-separated).
export const CHROMIUM_ARGS = [
    '--no-sandbox',
    '--disable-dev-shm-usage',
    '--disable-quic',
    '--no-first-run',
    '--no-default-browser-check',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--disable-extensions',
    '--disable-default-apps',
    '--disable-domain-reliability',
    '--disable-client-side-phishing-detection',
    '--metrics-recording-only',
    '--no-pings',
    '--use-angle=swiftshader',
    '--enable-unsafe-swiftshader',
];

function usage(message) {
    if (message) process.stderr.write(`browser-check: ${message}\n`);
    process.stderr.write(
        'usage: node browser-check.mjs URL [--screenshot OUT.png] [--timeout-ms N] ' +
        "[--viewport WxH] [--click LON,LAT] [--eval 'JS expression'] [--frame-eval 'JS function'] [--drag SEL@DX,DY] [--then-eval 'JS function'] [--axe] [--wait-for EXPR]\n");
    process.exit(2);
}

function parseArgs(argv) {
    const opts = {url: null, screenshot: null, timeoutMs: 30000, viewport: {width: 1280, height: 900},
        click: null, evalExpr: null, frameEvalExpr: null, axe: false, waitFor: null,
        drag: null, thenEvalExpr: null};
    for (let i = 0; i < argv.length; i++) {
        const arg = argv[i];
        const value = () => {
            if (i + 1 >= argv.length) usage(`${arg} needs a value`);
            return argv[++i];
        };
        if (arg === '--screenshot') opts.screenshot = value();
        else if (arg === '--timeout-ms') {
            const v = Number(value());
            if (!Number.isFinite(v) || v <= 0) usage('--timeout-ms must be a positive number');
            opts.timeoutMs = v;
        } else if (arg === '--viewport') {
            const m = /^(\d+)x(\d+)$/.exec(value());
            if (!m) usage('--viewport must look like 390x844');
            opts.viewport = {width: Number(m[1]), height: Number(m[2])};
        } else if (arg === '--click') {
            const parts = value().split(',').map(Number);
            if (parts.length !== 2 || !parts.every(Number.isFinite)) usage('--click must look like 6.96,50.94');
            opts.click = parts;
        } else if (arg === '--eval') opts.evalExpr = value();
        else if (arg === '--frame-eval') opts.frameEvalExpr = value();
        else if (arg === '--axe') opts.axe = true;
        else if (arg === '--drag') {
            // SELECTOR@DX,DY: the element dragged by that many CSS pixels with the real mouse.
            const m = /^(.+)@(-?\d+(?:\.\d+)?),(-?\d+(?:\.\d+)?)$/.exec(value());
            if (!m) usage('--drag must look like .maplibregl-marker@80,0');
            opts.drag = {selector: m[1], dx: Number(m[2]), dy: Number(m[3])};
        } else if (arg === '--then-eval') opts.thenEvalExpr = value();
        else if (arg === '--wait-for') opts.waitFor = value();
        else if (arg === '-h' || arg === '--help') usage();
        else if (arg.startsWith('--')) usage(`unknown option ${arg}`);
        else if (opts.url === null) opts.url = arg;
        else usage(`unexpected argument ${arg}`);
    }
    if (!opts.url) usage('URL missing');
    try {
        const u = new URL(opts.url);
        if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http(s)');
    } catch {
        usage(`not an http(s) URL: ${opts.url}`);
    }
    return opts;
}

function errorText(err) {
    const text = err && err.message ? err.message : String(err);
    // Playwright decorates its messages with terminal colours.
    return text.replace(/\u001b\[[0-9;]*m/g, '');
}

// data: URLs never leave the browser; blob: URLs carry their creator's origin.
function isThirdParty(requestUrl, pageOrigin) {
    if (requestUrl.startsWith('data:') || requestUrl.startsWith('about:')) return false;
    try {
        return new URL(requestUrl).origin !== pageOrigin;
    } catch {
        return true;
    }
}

// Calls the function `source` in a page or frame; its awaited value, through JSON.
function callIn(target, source) {
    return target.evaluate(`(async () => JSON.parse(JSON.stringify(await (${source})())))()`);
}

async function main() {
    const opts = parseArgs(process.argv.slice(2));
    const pageOrigin = new URL(opts.url).origin;
    const executablePath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

    const result = {
        url: opts.url,
        loaded: false,
        console_errors: [],
        console_warnings: [],
        page_errors: [],
        failed_requests: [],
        third_party_requests: [],
        requests: [],
        dialogs: [],
        rendered: {by_source_layer: {}, by_layer: {}, total: 0},
        map: null,
        webgl: null,
        title: null,
    };

    let browser;
    try {
        const extra = (process.env.CHROMIUM_EXTRA_ARGS || '').split(/\s+/).filter(Boolean);
        browser = await chromium.launch({executablePath, headless: true, args: [...CHROMIUM_ARGS, ...extra], timeout: 60000});
    } catch (err) {
        process.stderr.write(`browser-check: cannot launch ${executablePath}: ${errorText(err)}\n`);
        process.exit(3);
    }

    try {
        const context = await browser.newContext({
            viewport: opts.viewport,
            locale: 'de-DE',
            timezoneId: 'Europe/Berlin',
            serviceWorkers: 'block',
        });

        // Context-wide listeners also see dedicated workers (MapLibre fetches tiles in one).
        context.on('console', (msg) => {
            const loc = msg.location();
            const entry = {text: msg.text(), url: loc && loc.url ? loc.url : null};
            if (msg.type() === 'error') result.console_errors.push(entry);
            else if (msg.type() === 'warning') result.console_warnings.push(entry);
        });
        context.on('weberror', (webError) => {
            result.page_errors.push({message: errorText(webError.error()), stack: webError.error()?.stack ?? null});
        });
        context.on('request', (req) => {
            const url = req.url();
            if (url.startsWith('data:')) return;
            result.requests.push(url);
            if (isThirdParty(url, pageOrigin)) result.third_party_requests.push(url);
        });
        context.on('requestfailed', (req) => {
            const url = req.url();
            if (url.startsWith('data:')) return;
            result.failed_requests.push({url, status: null, error: req.failure()?.errorText ?? 'failed'});
        });
        context.on('response', (resp) => {
            if (resp.status() >= 400) {
                result.failed_requests.push({url: resp.url(), status: resp.status(), error: resp.statusText() || null});
            }
        });

        // The waiting helpers every --eval, --frame-eval and --then-eval
        // function uses (`const { sleep, until } = window.partimapTest;`),
        // in every frame: until(ok) polls ok every 50 ms, at most 200 times.
        await context.addInitScript(() => {
            const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
            const until = async (ok) => {
                for (let i = 0; i < 200; i++) {
                    if (ok()) return true;
                    await sleep(50);
                }
                return false;
            };
            window.partimapTest = {sleep, until};
        });

        const page = await context.newPage();
        // alert()/confirm()/prompt() must never happen (an XSS payload would typically call one).
        page.on('dialog', (dialog) => {
            result.dialogs.push({type: dialog.type(), message: dialog.message()});
            dialog.dismiss().catch(() => {});
        });

        const deadline = Date.now() + opts.timeoutMs;
        const remaining = () => Math.max(1, deadline - Date.now());

        try {
            await page.goto(opts.url, {waitUntil: 'load', timeout: remaining()});
        } catch (err) {
            result.error = `navigation failed: ${errorText(err)}`;
        }

        if (!result.error) {
            try {
                if (opts.waitFor) {
                    await page.waitForFunction(opts.waitFor, null, {timeout: remaining(), polling: 100});
                } else {
                    await page.waitForFunction(() => {
                        const map = window.partimapMap;
                        if (!map) return false;
                        if (window.partimapIdle === true) return true;
                        return map.loaded() && map.areTilesLoaded() && !map.isMoving();
                    }, null, {timeout: remaining(), polling: 100});
                }
                result.loaded = true;
            } catch (err) {
                result.error = `map did not become idle within ${opts.timeoutMs} ms: ${errorText(err)}`;
            }
        }

        try {
            result.title = await page.title();
        } catch (err) {
            result.title = null;
        }

        try {
            result.webgl = await page.evaluate(() => {
                const canvas = document.createElement('canvas');
                const gl = canvas.getContext('webgl2') || canvas.getContext('webgl');
                if (!gl) return {available: false};
                const info = gl.getExtension('WEBGL_debug_renderer_info');
                return {
                    available: true,
                    version: gl.getParameter(gl.VERSION),
                    renderer: info ? gl.getParameter(info.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER),
                };
            });
        } catch (err) {
            result.webgl = {available: null, error: errorText(err)};
        }

        const hasMap = await page.evaluate(() => !!window.partimapMap).catch(() => false);

        if (hasMap && opts.click) {
            try {
                const [lon, lat] = opts.click;
                const target = await page.evaluate(([lon, lat]) => {
                    const map = window.partimapMap;
                    const p = map.project([lon, lat]);
                    const rect = map.getCanvas().getBoundingClientRect();
                    return {x: rect.left + p.x, y: rect.top + p.y, inside: p.x >= 0 && p.y >= 0 && p.x <= rect.width && p.y <= rect.height};
                }, [lon, lat]);
                result.click = {lnglat: [lon, lat], x: target.x, y: target.y, inside_map: target.inside};
                await page.mouse.click(target.x, target.y);
                await page.waitForSelector('.maplibregl-popup-content', {timeout: 2000}).catch(() => null);
                // Give MapLibre a frame to position the popup.
                await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r())));
                result.popup = await page.evaluate(() => {
                    const content = document.querySelector('.maplibregl-popup-content');
                    if (!content) return null;
                    return {
                        text: content.textContent,
                        titles: Array.from(content.querySelectorAll('.pm-popup-title')).map((n) => n.textContent),
                        links: Array.from(content.querySelectorAll('a')).map((a) => ({
                            text: a.textContent, href: a.getAttribute('href'), target: a.getAttribute('target'), rel: a.getAttribute('rel'),
                        })),
                        html: content.innerHTML,
                        active_element: document.activeElement ? document.activeElement.className || document.activeElement.tagName : null,
                    };
                });
            } catch (err) {
                result.click = {...(result.click || {}), error: errorText(err)};
            }
        }

        if (hasMap) {
            try {
                const info = await page.evaluate(() => {
                    const map = window.partimapMap;
                    const byLayer = {};
                    const bySourceLayer = {};
                    const features = map.queryRenderedFeatures();
                    for (const f of features) {
                        const layerId = f.layer && f.layer.id;
                        if (layerId) byLayer[layerId] = (byLayer[layerId] || 0) + 1;
                        if (f.sourceLayer) bySourceLayer[f.sourceLayer] = (bySourceLayer[f.sourceLayer] || 0) + 1;
                    }
                    const b = map.getBounds();
                    const c = map.getCenter();
                    return {
                        rendered: {by_source_layer: bySourceLayer, by_layer: byLayer, total: features.length},
                        map: {
                            zoom: map.getZoom(),
                            center: [c.lng, c.lat],
                            bounds: [[b.getWest(), b.getSouth()], [b.getEast(), b.getNorth()]],
                            style_layers: (map.getStyle().layers || []).map((l) => l.id),
                            loaded: map.loaded(),
                            tiles_loaded: map.areTilesLoaded(),
                        },
                    };
                });
                result.rendered = info.rendered;
                result.map = info.map;
            } catch (err) {
                result.rendered.error = errorText(err);
            }
        }

        if (opts.frameEvalExpr !== null) {
            // In the page's first frame (an embed in a portal's page), before --eval.
            try {
                const frame = page.frames().find((f) => f !== page.mainFrame());
                if (!frame) throw new Error('the page has no frame');
                result.frame_eval = await callIn(frame, opts.frameEvalExpr);
            } catch (err) {
                result.frame_eval = null;
                result.frame_eval_error = errorText(err);
            }
        }

        if (opts.evalExpr !== null) {
            try {
                // An expression, or a function (called without arguments); promises are awaited.
                // The value is passed through JSON in the page (so a DOM node or the map object
                // itself does not break the report: such values come back as {} or an error text).
                let handle = await page.evaluateHandle(opts.evalExpr);
                if (await handle.evaluate((v) => typeof v === 'function')) {
                    const called = await handle.evaluateHandle((fn) => fn());
                    await handle.dispose();
                    handle = called;
                }
                result.eval = await handle.evaluate((v) => {
                    try {
                        const text = JSON.stringify(v);
                        return text === undefined ? null : JSON.parse(text);
                    } catch (e) {
                        return {unserializable: String(e && e.message ? e.message : e)};
                    }
                });
                await handle.dispose();
            } catch (err) {
                result.eval = null;
                result.eval_error = errorText(err);
            }
        }

        if (opts.drag) {
            // After --eval: press the mouse on the element (a map marker's
            // point is its bottom middle), move in steps, release.
            try {
                const box = await page.locator(opts.drag.selector).first().boundingBox();
                if (!box) throw new Error(`no ${opts.drag.selector} to drag`);
                const x = box.x + box.width / 2;
                const y = box.y + box.height - 4;
                await page.mouse.move(x, y);
                await page.mouse.down();
                await page.mouse.move(x + opts.drag.dx, y + opts.drag.dy, {steps: 8});
                await page.mouse.up();
                result.drag = {from: [x, y], to: [x + opts.drag.dx, y + opts.drag.dy]};
            } catch (err) {
                result.drag = {error: errorText(err)};
            }
        }

        if (opts.thenEvalExpr !== null) {
            // After --drag: a function called in the page, its awaited value "then_eval".
            try {
                result.then_eval = await callIn(page, opts.thenEvalExpr);
            } catch (err) {
                result.then_eval = null;
                result.then_eval_error = errorText(err);
            }
        }

        if (opts.screenshot) {
            try {
                await page.screenshot({path: opts.screenshot});
                result.screenshot = opts.screenshot;
            } catch (err) {
                result.screenshot_error = errorText(err);
            }
        }

        if (opts.axe) {
            try {
                const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
                await page.evaluate(axeSource);
                result.axe = await page.evaluate(async () => {
                    const r = await window.axe.run(document, {resultTypes: ['violations']});
                    return {
                        violations: r.violations.map((v) => ({
                            id: v.id,
                            impact: v.impact,
                            help: v.help,
                            nodes: v.nodes.map((n) => ({target: n.target, summary: n.failureSummary})),
                        })),
                    };
                });
            } catch (err) {
                result.axe = {error: errorText(err)};
            }
        }

        await context.close();
    } catch (err) {
        result.error = (result.error ? result.error + '; ' : '') + errorText(err);
    } finally {
        await browser.close().catch(() => {});
    }

    let text;
    try {
        text = JSON.stringify(result);
    } catch (err) {
        text = JSON.stringify({...result, eval: null, eval_error: `result not serialisable: ${errorText(err)}`});
    }
    process.stdout.write(`${text}\n`);
}

main().catch((err) => {
    process.stderr.write(`browser-check: ${err && err.stack ? err.stack : err}\n`);
    process.exit(1);
});
