/**
 * What `clawtell admin` needs of the server, without the HTTP server: the actions on names, approvals, quotas, invites
 * and master keys, and the stores they act on. The admin commands import this rather than index.ts, so that a command
 * that changes one name does not also load fastify, the routes and the libraries only they use (a tenth of the CPU of
 * `clawtell admin names`).
 */
export {
  ADMIN_LIST_CHANGES,
  changeNameList,
  createName,
  deleteNameAsAdmin,
  listNames,
  readAudit,
  rotateNameKey,
  setNameSettings,
  showName,
  type AdminListChange,
  type CreatedName,
  type NameDetails,
  type NameSummary,
  type RotatedKey,
} from "./admin.js";
export {
  decideAsAdmin,
  listApprovals,
  setAccountQuota,
  showAccountQuota,
  type AdminDecision,
  type HeldSummary,
  type QuotaReport,
} from "./admin-approvals.js";
export { RETIRE_AFTER_MS, openSealedAdminStores, retireMasterKey, rotateMasterKey, type AdminKeyOptions, type RetirementReport, type RotationReport } from "./admin-encryption.js";
export { createInvite, listPendingRegistrations, type CreatedInvite, type PendingRegistration } from "./admin-registrations.js";
export { openEmbeddedAdminStores, openPostgresStorage, type AdminStores, type AuditEntry, type DirectoryStore } from "./store/index.js";
