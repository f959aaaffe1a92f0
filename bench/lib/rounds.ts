/**
 * Alternating rounds for benchmarks that do not fit lib/arms.ts's send → poll → ack cycle: each round runs every arm
 * once, one after the other, the order rotating by one each round (as in arms.ts), so that no arm always runs first.
 * Answers each arm's figures, one per round, by arm index.
 */
export async function alternateRounds(
  arms: ReadonlyArray<() => Promise<number>>,
  rounds: number,
  onRound?: (round: number, figures: readonly number[]) => void,
): Promise<number[][]> {
  const results = arms.map((): number[] => []);
  for (let round = 0; round < rounds; round++) {
    const figures = arms.map(() => Number.NaN);
    for (let k = 0; k < arms.length; k++) {
      const i = (round + k) % arms.length;
      figures[i] = await (arms[i] as () => Promise<number>)();
    }
    figures.forEach((figure, i) => results[i]?.push(figure));
    onRound?.(round, figures);
  }
  return results;
}
