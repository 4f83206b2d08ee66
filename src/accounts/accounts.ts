// Account lifecycle rules in one place: new accounts get the starting credits, OAuth
// sign-ins find or link or create an account, removing an account erases its data first.

import type { Kysely } from 'kysely';
import type { Clock } from '../domain/clock.js';
import { DarkroomError } from '../domain/errors.js';
import type { Database, Role } from '../store/schema.js';
import type { Ledger } from './ledger.js';
import type { OAuthProfile, ProviderName } from './oauth.js';
import type { UserRow, UserService } from './users.js';

export interface AccountDeps {
  db: Kysely<Database>;
  clock: Clock;
  users: UserService;
  ledger: Ledger;
  /** Erases everything the owner has (jobs, images, keys for their data). */
  eraseData(owner: string): Promise<unknown>;
  /** Truncates the write-ahead log, so the deleted account row leaves no copy there. */
  checkpoint(): Promise<void>;
  startingCredits: number;
}

export class Accounts {
  constructor(private readonly deps: AccountDeps) {}

  async create(input: { email: string; password?: string; role?: Role }): Promise<UserRow> {
    const user = await this.deps.users.create(input);
    if (this.deps.startingCredits > 0) await this.deps.ledger.grant(user.id, this.deps.startingCredits);
    return user;
  }

  async signInWithOAuth(provider: ProviderName, profile: OAuthProfile): Promise<UserRow> {
    const { db, users } = this.deps;
    const linked = await db
      .selectFrom('oauth_identities')
      .innerJoin('users', 'users.id', 'oauth_identities.user_id')
      .selectAll('users')
      .where('oauth_identities.provider', '=', provider)
      .where('oauth_identities.subject', '=', profile.subject)
      .executeTakeFirst();
    if (linked) return linked;
    if (!profile.email) throw new DarkroomError('unauthorized', `Your ${provider} account has no verified email address to sign in with`);
    // A verified address at the provider proves the same person as our account with it, unless
    // that account has a password: sign-up does not verify addresses, so someone could have
    // registered the address first to share the account its owner would sign in to.
    const existing = await users.byEmail(profile.email);
    if (existing?.password_hash) {
      throw new DarkroomError('conflict', `An account with your ${provider} email address already exists here; sign in with its password`);
    }
    const user = existing ?? (await this.create({ email: profile.email }));
    await db.insertInto('oauth_identities').values({ provider, subject: profile.subject, user_id: user.id }).execute();
    return user;
  }

  /** Erases the account's data and then the account itself (sessions, keys, identities go with it). */
  async remove(userId: string): Promise<void> {
    await this.deps.eraseData(userId);
    await this.deps.db.transaction().execute(async (tx) => {
      // Their ledger transactions (and their jobs' charges) go whole, so every remaining
      // transaction still sums to zero.
      const account = `user:${userId}`;
      const jobs = tx.selectFrom('ledger').select('job_id').where('account', '=', account).where('job_id', 'is not', null);
      const touched = tx
        .selectFrom('ledger')
        .select('transaction_id')
        .where((eb) => eb.or([eb('account', '=', account), eb('job_id', 'in', jobs)]));
      await tx.deleteFrom('ledger').where('transaction_id', 'in', touched).execute();
    });
    await this.deps.users.remove(userId);
    await this.deps.checkpoint();
  }
}
