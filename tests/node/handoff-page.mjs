// The verifier's OpenID Connect hand-off page in a real headless browser (Debian's chromium,
// driven by playwright-core). Run by verifier/tests/it/oidc/browser.rs:
//
//   node tests/node/handoff-page.mjs <authorization URL>
//
// Each browser context opens the authorization URL (so it gets its own session and cookie) and
// lands on the hand-off page. Without JavaScript: the page has its content and a meta refresh
// that reloads it. With JavaScript: the accessibility tree has the heading, the QR code as an
// image with an accessible name, the same-device link (reached by Tab, with a visible focus
// style), the live status region and the cancel link; the text has enough contrast; nothing is
// blocked by the page's CSP. Both show the same content. Then the script prints
// `wallet_url <openid4vp://…>` on stdout, waits for the test to present to that request, and
// expects the page to navigate by itself to the client's redirect URI with a code; it prints
// `redirected <url>`. HANDOFF_SCREENSHOT=<file.png> saves a screenshot. Any failure exits 1
// with a message on stderr.

import { chromium } from 'playwright-core';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const WAIT_FOR_WALLET_MS = 60_000;

class CheckFailed extends Error {}

function check(condition, message) {
  if (!condition) {
    throw new CheckFailed(message);
  }
}

function log(message) {
  process.stderr.write(`handoff-page: ${message}\n`);
}

/** The accessibility tree without link URLs (they name each context's own session). */
async function ariaTree(page) {
  const tree = await page.locator('body').ariaSnapshot();
  return tree
    .split('\n')
    .filter((line) => !line.trim().startsWith('- /url:'))
    .join('\n');
}

/** What both contexts must show, read through the accessibility tree. */
async function content(page) {
  const heading = page.getByRole('heading', { level: 1 });
  check((await heading.count()) === 1, 'exactly one h1');
  const qr = page.getByRole('img', { name: /QR code/ });
  check((await qr.count()) === 1, 'the QR code is an image with an accessible name');
  check(await qr.isVisible(), 'the QR code is visible');
  const wallet = page.getByRole('link', { name: 'Open your wallet app' });
  check((await wallet.count()) === 1, 'a same-device link named "Open your wallet app"');
  const href = await wallet.getAttribute('href');
  check(href && href.startsWith('openid4vp://'), `the same-device link opens the wallet: ${href}`);
  const status = page.getByRole('status');
  check((await status.count()) === 1, 'one status region');
  check((await status.getAttribute('aria-live')) === 'polite', 'the status region is polite');
  const statusText = (await status.textContent()).trim();
  check(statusText.length > 0, 'the status region says something');
  const cancel = page.getByRole('link', { name: /^Cancel/ });
  check((await cancel.count()) === 1, 'a cancel link');
  check((await cancel.getAttribute('href')).endsWith('/cancel'), 'the cancel link cancels');
  check((await page.getAttribute('html', 'lang')) === 'en', 'html lang="en"');
  const title = await page.title();
  check(title.length > 0, 'a title');
  return {
    title,
    heading: (await heading.textContent()).trim(),
    statusText,
    walletUrl: href,
    tree: await ariaTree(page),
  };
}

/** The Tab order from the top of a freshly loaded page: each stop's name and whether its focus
 * is visible. */
async function tabOrder(page) {
  const stops = [];
  for (let i = 0; i < 12; i += 1) {
    await page.keyboard.press('Tab');
    const stop = await page.evaluate(() => {
      const el = document.activeElement;
      if (!el || el === document.body) {
        return null;
      }
      const style = getComputedStyle(el);
      return {
        name: (el.textContent || '').trim(),
        visible: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2,
      };
    });
    if (!stop) {
      break;
    }
    stops.push(stop);
  }
  return stops;
}

/** WCAG contrast of the text of every element `selector` matches against its background. */
async function contrast(page, selector, minimum) {
  const ratios = await page.locator(selector).evaluateAll((elements) => {
    const parse = (c) => {
      const m = c.match(/rgba?\(([^)]+)\)/);
      const [r, g, b, a = 1] = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
      return { r, g, b, a };
    };
    const luminance = ({ r, g, b }) => {
      const f = (v) => {
        const s = v / 255;
        return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
      };
      return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    const background = (el) => {
      for (let node = el; node; node = node.parentElement) {
        const bg = parse(getComputedStyle(node).backgroundColor);
        if (bg.a > 0) {
          return bg;
        }
      }
      return { r: 255, g: 255, b: 255, a: 1 };
    };
    return elements.map((el) => {
      const fg = luminance(parse(getComputedStyle(el).color));
      const bg = luminance(background(el));
      return (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
    });
  });
  check(ratios.length > 0, `${selector} is on the page`);
  for (const ratio of ratios) {
    check(ratio >= minimum, `${selector} contrast ${ratio.toFixed(2)} < ${minimum}`);
  }
  return Math.min(...ratios);
}

async function withoutJavaScript(browser, url) {
  const context = await browser.newContext({ javaScriptEnabled: false });
  try {
    const page = await context.newPage();
    const response = await page.goto(url);
    check(response.ok(), `the page answers ${response.status()} without JavaScript`);
    check(page.url().includes('/oidc/handoff/'), `landed on the hand-off page: ${page.url()}`);
    const shown = await content(page);
    const refresh = page.locator('meta[http-equiv="refresh"]');
    check((await refresh.count()) === 1, 'a meta refresh without JavaScript');
    const seconds = Number((await refresh.getAttribute('content')).split(';')[0]);
    check(seconds > 0 && seconds <= 10, `the refresh is every few seconds: ${seconds}`);
    // It really reloads the page.
    await page.waitForEvent('load', { timeout: (seconds + 5) * 1000 });
    check(page.url().includes('/oidc/handoff/'), 'the refresh reloads the hand-off page');
    log(`without JavaScript: the same page, reloading every ${seconds} s`);
    return shown;
  } finally {
    await context.close();
  }
}

async function withJavaScript(browser, url, plain) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const problems = [];
  page.on('console', (message) => {
    if (message.type() === 'error') {
      problems.push(message.text());
    }
  });
  page.on('pageerror', (error) => problems.push(error.message));
  const response = await page.goto(url);
  check(response.ok(), `the page answers ${response.status()}`);
  const shown = await content(page);
  check(shown.title === plain.title, 'the same title with and without JavaScript');
  check(shown.heading === plain.heading, 'the same heading with and without JavaScript');
  check(shown.tree === plain.tree, `the same accessibility tree with and without JavaScript:\n${shown.tree}\n---\n${plain.tree}`);
  check(
    (await page.locator('meta[http-equiv="refresh"]').count()) === 0,
    'no meta refresh when the script polls',
  );
  const stops = await tabOrder(page);
  const walletTabs = stops.findIndex((stop) => stop.name === 'Open your wallet app') + 1;
  const cancelTabs = stops.findIndex((stop) => stop.name.startsWith('Cancel')) + 1;
  check(walletTabs > 0, 'Tab reaches the same-device link');
  check(cancelTabs > 0, 'Tab reaches the cancel link');
  check(walletTabs < cancelTabs, 'the same-device link comes before cancel');
  for (const stop of stops) {
    check(stop.visible, `"${stop.name}" shows a visible focus outline`);
  }
  const text = await contrast(page, 'h1, p, h2', 7);
  const links = await contrast(page, 'a:not(.button)', 4.5);
  const button = await contrast(page, 'a.button', 4.5);
  log(
    `accessibility tree:\n${shown.tree}\n` +
      `Tab reaches the wallet link in ${walletTabs}, cancel in ${cancelTabs}; ` +
      `contrast text ${text.toFixed(1)}, links ${links.toFixed(1)}, button ${button.toFixed(1)}`,
  );
  if (process.env.HANDOFF_SCREENSHOT) {
    await page.screenshot({ path: process.env.HANDOFF_SCREENSHOT, fullPage: true });
    log(`screenshot: ${process.env.HANDOFF_SCREENSHOT}`);
  }
  check(problems.length === 0, `console errors (CSP?): ${problems.join('; ')}`);
  return { page, walletUrl: shown.walletUrl, problems };
}

async function main() {
  const url = process.argv[2];
  check(url && /^https?:\/\//.test(url), 'usage: node tests/node/handoff-page.mjs <authorization URL>');
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
  try {
    const plain = await withoutJavaScript(browser, url);
    const { page, walletUrl, problems } = await withJavaScript(browser, url, plain);
    process.stdout.write(`wallet_url ${walletUrl}\n`);
    await page.waitForURL((next) => next.searchParams.has('code'), {
      timeout: WAIT_FOR_WALLET_MS,
    });
    check(problems.length === 0, `console errors while polling: ${problems.join('; ')}`);
    process.stdout.write(`redirected ${page.url()}\n`);
  } finally {
    await browser.close();
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    const message = error instanceof CheckFailed ? error.message : error.stack || String(error);
    process.stderr.write(`handoff-page: FAIL: ${message}\n`);
    process.exit(1);
  },
);
