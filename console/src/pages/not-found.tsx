import { href } from '../router.ts';
import { PageTitle } from '../ui.tsx';

export const NotFound = () => (
  <>
    <PageTitle title="Not found">Nothing here</PageTitle>
    <p>
      This console has no such page. <a href={href(['models'])}>See the models</a>.
    </p>
  </>
);
