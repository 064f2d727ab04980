/** A class of errors that carry a `kind` string, as core's `PagingError` does. */
export type KindedErrorClass = abstract new (...args: never[]) => { readonly kind: string };

/**
 * A function that runs `fn` and returns the `kind` of the `errorClass` error it throws, or `'ok'` when it
 * returns; any other throw propagates, so a wrong error type still fails the test.
 */
export function kindOf(errorClass: KindedErrorClass): (fn: () => unknown) => string {
  return (fn) => {
    try {
      fn();
    } catch (e) {
      if (e instanceof errorClass) return e.kind;
      throw e;
    }
    return 'ok';
  };
}
