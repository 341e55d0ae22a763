/** Exponentially weighted averages of input and output tokens, for an arm's expected cost. */
export class TokenEwma {
  input: number | undefined;
  output: number | undefined;

  constructor(private readonly weight = 0.1) {}

  observe(inputTokens: number, outputTokens: number): void {
    this.input = this.input === undefined ? inputTokens : this.input + this.weight * (inputTokens - this.input);
    this.output = this.output === undefined ? outputTokens : this.output + this.weight * (outputTokens - this.output);
  }

  copy(): TokenEwma {
    const copy = new TokenEwma(this.weight);
    copy.input = this.input;
    copy.output = this.output;
    return copy;
  }
}
