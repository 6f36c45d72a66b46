import { describe, expect, it } from 'vitest';
import { countSegments, describeCount } from '../public/sms-text.js';

// GSM 03.38 (3GPP TS 23.038 §6.2.1) default alphabet, written out here row by row from the
// standard's table — independently of the module's own list — with 0x1B (ESC) left out.
const gsmDefaultAlphabet = [
  '@£$¥èéùìòÇ\nØø\rÅå', 'Δ_ΦΓΛΩΠΨΣΘΞ' + 'ÆæßÉ', ' !"#¤%&\'()*+,-./', '0123456789:;<=>?',
  '¡ABCDEFGHIJKLMNO', 'PQRSTUVWXYZÄÖÑÜ§', '¿abcdefghijklmno', 'pqrstuvwxyzäöñüà',
].join('');
const gsmExtension = '\f^{}\\[~]|€';

const plain = (length: number) => 'a'.repeat(length);

describe('counting SMS parts', () => {
  it('knows the whole GSM 03.38 default alphabet as one character each', () => {
    expect(Array.from(gsmDefaultAlphabet)).toHaveLength(127);
    for (const character of gsmDefaultAlphabet) {
      expect(countSegments(character), JSON.stringify(character)).toMatchObject({ encoding: 'GSM-7', units: 1, parts: 1, forcingUcs2: [] });
    }
  });

  it('counts each extension character twice and stays GSM-7', () => {
    for (const character of gsmExtension) {
      expect(countSegments(character), JSON.stringify(character)).toMatchObject({ encoding: 'GSM-7', units: 2 });
    }
    expect(countSegments('Price: 12€ {incl. [tax]}')).toMatchObject({ encoding: 'GSM-7', units: 24 + 5 });
  });

  it.each([
    ['nothing', '', 'GSM-7', 0, 0],
    ['plain text', 'Your order is on its way!', 'GSM-7', 25, 1],
    ['exactly 160 GSM-7 characters', plain(160), 'GSM-7', 160, 1],
    ['161 GSM-7 characters', plain(161), 'GSM-7', 161, 2],
    ['153 × 2 = 306 GSM-7 characters', plain(306), 'GSM-7', 306, 2],
    ['307 GSM-7 characters', plain(307), 'GSM-7', 307, 3],
    ['159 characters and a €, which counts twice', `${plain(158)}€`, 'GSM-7', 160, 1],
    ['160 characters and a ^', `${plain(159)}^`, 'GSM-7', 161, 2],
    ['exactly 70 UCS-2 code units', `${plain(69)}á`, 'UCS-2', 70, 1],
    ['71 UCS-2 code units', `${plain(70)}á`, 'UCS-2', 71, 2],
    ['67 × 2 = 134 UCS-2 code units', `${plain(133)}ç`, 'UCS-2', 134, 2],
    ['135 UCS-2 code units', `${plain(134)}ç`, 'UCS-2', 135, 3],
    ['an emoji, two UTF-16 code units', '🍕', 'UCS-2', 2, 1],
    ['69 characters and an emoji', `${plain(69)}🍕`, 'UCS-2', 71, 2],
  ] as const)('%s', (_name, text, encoding, units, parts) => {
    expect(countSegments(text)).toMatchObject({ encoding, units, parts });
  });

  it.each(['é', 'è', 'ù', 'ì', 'ò', 'Ç', 'Ø', 'ø', 'Å', 'å', 'Ä', 'Ö', 'Ñ', 'Ü', 'ä', 'ö', 'ñ', 'ü', 'à', 'É', 'Æ', 'æ', 'ß'])('keeps %s in GSM-7', (accented) => {
    expect(countSegments(`Café ${accented}`)).toMatchObject({ encoding: 'GSM-7', units: 6 });
  });

  it.each(['á', 'í', 'ó', 'ú', 'â', 'ê', 'ç', '’', '“', '”', '🍕', '`', '\t', '\u00a0'])('switches the whole text to UCS-2 for %j and names it', (character) => {
    expect(countSegments(`Hello ${character} there ${character}`)).toMatchObject({ encoding: 'UCS-2', forcingUcs2: [character] });
  });

  it('never splits an extension character or an emoji across two parts', () => {
    // 152 + 2 would overflow the first 153-septet part by one, so the € starts the second part.
    expect(countSegments(`${plain(152)}€${plain(152)}`)).toMatchObject({ units: 306, parts: 3 });
    expect(countSegments(`${plain(66)}🍕${plain(66)}`)).toMatchObject({ units: 134, parts: 3 });
  });

  it('describes the count, naming what forces UCS-2', () => {
    expect(describeCount(countSegments(plain(161)))).toBe('GSM-7: 161 characters, 2 SMS parts of 153.');
    expect(describeCount(countSegments('It’s ready 🍕'))).toBe('UCS-2: 13 characters, 1 SMS part. UCS-2 because of ’ (U+2019), 🍕 (U+1F355); without them a part holds 160 characters instead of 70.');
    expect(describeCount(countSegments('a\u00a0b'))).toContain('UCS-2 because of an invisible U+00A0; without it');
  });
});
