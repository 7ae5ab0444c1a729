import { PageTitle } from '../ui.tsx';

export const ApprovalsPage = () => <PageTitle title="Approvals">Approvals</PageTitle>;
