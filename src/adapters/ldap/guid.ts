// Active Directory's objectGUID: binary, in Microsoft's mixed-endian layout, read as the UUID text
// the console and the stores keep. The directory presets themselves are in src/core/directories/settings.ts.

/** Attributes whose values are binary GUIDs in Microsoft's mixed-endian layout. */
export function isGuidAttribute(attribute: string): boolean {
  return attribute.toLowerCase() === 'objectguid';
}

/** The 16 bytes of the objectGUID whose canonical UUID text this is (the inverse of guidToUuid); null for other text. */
export function uuidToGuid(uuid: string): Buffer | null {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(uuid)) return null;
  const b = Buffer.from(uuid.replace(/-/g, ''), 'hex');
  return Buffer.concat([b.subarray(0, 4).reverse(), b.subarray(4, 6).reverse(), b.subarray(6, 8).reverse(), b.subarray(8)]);
}

/**
 * An objectGUID's 16 bytes as the canonical UUID text (RFC 9562 §4): the first three fields are
 * stored little-endian by Windows, the last two as they are.
 */
export function guidToUuid(bytes: Buffer): string {
  if (bytes.length !== 16) throw new Error('an objectGUID has 16 bytes');
  const h = (from: number, to: number, reverse: boolean) => {
    const part = [...bytes.subarray(from, to)];
    return (reverse ? part.reverse() : part).map((b) => b.toString(16).padStart(2, '0')).join('');
  };
  return `${h(0, 4, true)}-${h(4, 6, true)}-${h(6, 8, true)}-${h(8, 10, false)}-${h(10, 16, false)}`;
}
