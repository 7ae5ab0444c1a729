import { SendEmailCommand } from '@aws-sdk/client-sesv2';
import { ses } from '#commons/clients';
import { config } from '#commons/config';

/** Email through SES v2 (local mode points the same client at the outbox). */
export interface Email {
  to: string;
  subject: string;
  text: string;
  html: string;
}

export const sendEmail = async (email: Email): Promise<void> => {
  await ses().send(
    new SendEmailCommand({
      FromEmailAddress: config().mailFrom,
      Destination: { ToAddresses: [email.to] },
      Content: {
        Simple: {
          Subject: { Data: email.subject, Charset: 'UTF-8' },
          Body: {
            Text: { Data: email.text, Charset: 'UTF-8' },
            Html: { Data: email.html, Charset: 'UTF-8' },
          },
        },
      },
    }),
  );
};
