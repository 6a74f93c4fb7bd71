/** One crafted input: the decoder target it is fed to, and how to build it at about `size` bytes. */
export interface AmplificationInput {
  readonly name: string;
  /** A `DecoderTarget` name. */
  readonly target: string;
  /** Whether the decoder should accept it (a valid state) or refuse it with a typed error. */
  readonly expect: 'value' | 'error';
  readonly build: (size: number) => Uint8Array | Promise<Uint8Array>;
  /**
   * False for decoders this package does not bound (the loader's JSON): measured and reported,
   * never a finding.
   */
  readonly bounded?: false;
  /**
   * True for an input that attacks time (see `cpuInputs.ts`): decoded at a quarter of the size too,
   * and a finding when its time per input byte grows with the size (a super-linear decoder).
   */
  readonly cpu?: true;
}
