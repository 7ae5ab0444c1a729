import { useState } from 'preact/hooks';
import { useSession } from './context.ts';
import { LOCAL_PRINCIPALS, validPrincipal } from './principals.ts';

/** Local mode's identity: pick who the API sees (the `X-Steward-Principal` header on every call). */
export const PrincipalPicker = () => {
  const { who, choose } = useSession();
  const known = LOCAL_PRINCIPALS.some((p) => p.name === who);
  const [other, setOther] = useState(known ? '' : who);
  const [error, setError] = useState('');
  return (
    <form
      class="picker"
      onSubmit={(e) => {
        e.preventDefault();
        const name = other.trim();
        if (!validPrincipal(name)) {
          setError('Printable characters, no spaces, at most 256.');
          return;
        }
        setError('');
        choose?.(name);
      }}
    >
      <label for="principal">Acting as</label>
      <select
        id="principal"
        value={known ? who : '__other'}
        onChange={(e) => {
          const name = (e.target as HTMLSelectElement).value;
          if (name !== '__other') choose?.(name);
        }}
      >
        {LOCAL_PRINCIPALS.map((p) => (
          <option key={p.name} value={p.name}>
            {p.name} ({p.note})
          </option>
        ))}
        <option value="__other">{known ? 'someone else…' : `${who} (typed)`}</option>
      </select>
      <label for="principal-other" class="visually-hidden">
        Another principal
      </label>
      <input
        id="principal-other"
        placeholder="or type a name"
        value={other}
        size={12}
        autocomplete="off"
        aria-invalid={error ? 'true' : undefined}
        aria-describedby={error ? 'principal-error' : undefined}
        onInput={(e) => setOther((e.target as HTMLInputElement).value)}
      />
      <button type="submit">Use</button>
      {error ? (
        <span id="principal-error" class="field-error" role="alert">
          {error}
        </span>
      ) : null}
    </form>
  );
};
