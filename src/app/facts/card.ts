/**
 * Card numbers (PANs) must never be stored: a charge reference that looks like one is refused.
 * "Looks like one": 13 to 19 digits, written together or grouped by single spaces or dashes,
 * that pass the Luhn check. Both every digit run and every spaced/dashed run are checked, so a
 * number embedded in a longer reference (`pi_4111111111111111`) is caught too.
 */

const MIN_PAN_DIGITS = 13;
const MAX_PAN_DIGITS = 19;

export function passesLuhn(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i -= 1) {
    let d = digits.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return false;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

function isCardLike(digits: string): boolean {
  return digits.length >= MIN_PAN_DIGITS && digits.length <= MAX_PAN_DIGITS && passesLuhn(digits);
}

/** True when `text` contains something that looks like a payment card number. */
export function looksLikeCardNumber(text: string): boolean {
  for (const run of text.match(/\d+/g) ?? []) {
    if (isCardLike(run)) return true;
  }
  for (const run of text.match(/\d(?:[ -]?\d)+/g) ?? []) {
    if (isCardLike(run.replace(/[ -]/g, ''))) return true;
  }
  return false;
}

export const CARD_NUMBER_MESSAGE =
  "looks like a payment card number (13-19 digits passing the Luhn check); send the provider's charge reference, never card numbers";
