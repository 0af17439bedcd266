// Early stopping's k* as the page finds it on a validation curve while a run goes on, before the
// run's own outcome arrives: the rule of src/problem/early-stop.ts (recordEvaluation), which
// keeps the lowest finite score, the earlier on a tie. Apart from the plots so that it can be
// tested without a DOM.

/** The index of the lowest finite score, the earlier on a tie; -1 while none is finite. */
export function argminValidation(scores: readonly number[]): number {
  let best = -1;
  scores.forEach((v, i) => {
    if (Number.isFinite(v) && (best < 0 || v < scores[best])) best = i;
  });
  return best;
}
