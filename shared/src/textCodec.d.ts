// shared/ is compiled without the DOM and Node libraries (it must not use either); TextEncoder and TextDecoder are
// the two globals it needs, present in every browser and in Node, so they are declared here alone.
declare class TextEncoder {
  encode(input?: string): Uint8Array;
}
declare class TextDecoder {
  constructor(label?: string, options?: { fatal?: boolean });
  decode(input?: Uint8Array): string;
}
