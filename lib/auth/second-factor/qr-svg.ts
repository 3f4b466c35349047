// The enrolment QR code, drawn on the server as SVG markup: one <rect> for the background
// and one <path> for the dark modules, nothing else — no script, no style element, no link,
// no image — so the page can inline it without loosening its Content-Security-Policy
// (docs/protection.md). The otpauth:// URI is only in the modules, never in the text.
//
// Why `uqr`: it encodes and renders SVG in plain JavaScript with no dependencies, no DOM or
// canvas and no install scripts, and ships its own types. (`qrcode`, the usual choice, pulls
// in yargs and pngjs for its command line and PNG output, which a server page never uses.)
import { renderSVG } from "uqr";

/**
 * The QR code of `text` as an <svg> element. Error correction M (15 %) survives a glare
 * on the screen; the border is the four-module quiet zone the QR standard asks for, which
 * keeps it scannable on a dark page.
 */
export function qrCodeSvg(text: string): string {
  return renderSVG(text, { ecc: "M", border: 4, pixelSize: 8 });
}
