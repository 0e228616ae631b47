import type { FirstFactorMethod, SecondFactorStep, SignInOutcome, UserMapping } from './ports.js';

export interface SignInPipelineDeps<M extends Record<string, FirstFactorMethod<never>>> {
  methods: M;
  users: UserMapping;
  secondFactor: SecondFactorStep;
}

type InputOf<T> = T extends FirstFactorMethod<infer I> ? I : never;

export interface SignIn<M extends Record<string, FirstFactorMethod<never>>> {
  /** Runs one first-factor method, then the mapping and the second-factor step. */
  run<K extends keyof M & string>(method: K, input: InputOf<M[K]>): Promise<SignInOutcome>;
}

/** first factor → identity → user → second factor, the same for every method. */
export function signInPipeline<M extends Record<string, FirstFactorMethod<never>>>(d: SignInPipelineDeps<M>): SignIn<M> {
  return {
    async run(method, input) {
      const first = await (d.methods[method] as FirstFactorMethod<InputOf<M[typeof method]>>).authenticate(input);
      if (first.kind !== 'identified') return first;
      const user = await d.users.userFor(first.identity);
      if (!user) return { kind: 'wrong' };
      const second = await d.secondFactor.after(user, first.identity.amr);
      return { kind: 'signed-in', user, device: first.device, amr: second.amr };
    },
  };
}
