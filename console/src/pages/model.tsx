import { PageTitle } from '../ui.tsx';

export const ModelPage = ({ name }: { name: string; rest: string[]; query: URLSearchParams }) => (
  <PageTitle title={name}>{name}</PageTitle>
);
