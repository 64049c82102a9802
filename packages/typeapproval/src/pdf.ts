// SPDX-License-Identifier: Apache-2.0
// The dossier as PDF: the same HTML page, printed by a headless Chromium (puppeteer-core driving
// the Chromium build that @sparticuz/chromium ships as an npm package, no system browser needed),
// so the PDF can never say something the HTML does not. Both packages are optional dependencies of
// this package: `npm install` brings them; without them (--omit=optional) the HTML still works and
// the PDF is refused with PDF_RENDERER_MISSING.
import { TypeApprovalError } from './errors';

/** How long Chromium may take to lay out and print a dossier (a 10,000-case one is a few MB of HTML). */
const PRINT_TIMEOUT_MS = 300_000;

/** Page number and total on every page, with the document's title, in the bottom margin. */
function footer(title: string): string {
  const esc = title.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<div style="font:8px Helvetica,Arial,sans-serif;color:#555;width:100%;padding:0 12mm;display:flex;justify-content:space-between"><span>${esc}</span><span>page <span class="pageNumber"></span> of <span class="totalPages"></span></span></div>`;
}

/** Prints `html` (a self-contained page: no network is reached) to an A4 PDF. */
export async function renderPdf(html: string, title: string): Promise<Uint8Array> {
  const printer = await Promise.all([import('puppeteer-core'), import('@sparticuz/chromium')]).catch((err: unknown) => {
    throw new TypeApprovalError(
      'PDF_RENDERER_MISSING',
      'printing the dossier as PDF needs the optional packages puppeteer-core and @sparticuz/chromium (run npm install without --omit=optional); the HTML dossier needs neither',
      undefined,
      { cause: err },
    );
  });
  const [puppeteer, { default: chromium }] = printer;
  // Print only: no WebGL, so SwiftShader is not unpacked.
  chromium.setGraphicsMode = false;
  // --lang: under LANG=C Chromium reports the locale en-US@posix, which some Intl calls refuse.
  const browser = await puppeteer.launch({
    executablePath: await chromium.executablePath(),
    args: [...chromium.args, '--lang=en-US'],
    headless: true,
    protocolTimeout: PRINT_TIMEOUT_MS,
  });
  try {
    const page = await browser.newPage();
    // A dossier is self-contained: refuse any request it might still make, so printing never depends on the network.
    await page.setRequestInterception(true);
    page.on('request', (r) => void (r.url().startsWith('data:') ? r.continue() : r.abort()));
    await page.setContent(html, { waitUntil: 'load', timeout: PRINT_TIMEOUT_MS });
    return await page.pdf({
      format: 'A4',
      printBackground: true,
      outline: true,
      tagged: true,
      timeout: PRINT_TIMEOUT_MS,
      margin: { top: '14mm', bottom: '16mm', left: '12mm', right: '12mm' },
      displayHeaderFooter: true,
      headerTemplate: '<span></span>',
      footerTemplate: footer(title),
    });
  } finally {
    await browser.close();
  }
}
