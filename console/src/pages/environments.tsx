import { PageTitle } from '../ui.tsx';

export const EnvironmentsPage = () => <PageTitle title="Environments">Environments</PageTitle>;
