// Codes and labels. The vocabularies (states, grades, channels, industries,
// levels…) come from GET /api/v1/vocabularies, the same tables the server
// validates with; only what the pages themselves decide lives here.

import { api } from './api.js';

let vocab = null;

/** The API's vocabularies, fetched once per page load. */
export async function vocabularies() {
  if (!vocab) vocab = api('vocabularies');
  return vocab;
}

/** Label of `code` in vocabulary `name` (or the code). */
export function labelOf(v, name, code) {
  const t = (v[name] || []).find((x) => x.code === code);
  return t ? t.label : code;
}

export const REGULATOR_ROLES = ['super-admin', 'city-supervisor', 'region-officer'];
export const isRegulator = (role) => REGULATOR_ROLES.includes(role);

/** Channels a role reports through (the API refuses the others). */
export function reportChannels(v, role) {
  if (!isRegulator(role)) return v.channels.filter((c) => c.code === 'enterprise_self_check');
  const own = ['grid_patrol', 'enforcement_check', 'expert_check', 'hotline'];
  return v.channels.filter((c) => own.includes(c.code));
}

/** The hazard actions: the button text and what each form asks for. The
 * API says which ones the caller may take (`my_actions`) and checks again. */
export const ACTIONS = {
  dispatch: { label: '派发整改', fields: ['deadline_days', 'enterprise_id', 'note'], primary: true },
  dismiss: { label: '不予受理', fields: ['note'], noteRequired: true, danger: true },
  start: { label: '开始整改', fields: ['note'], primary: true },
  dispute: { label: '提出异议', fields: ['note'], noteRequired: true, danger: true },
  reassign: { label: '重新指派', fields: ['deadline_days', 'enterprise_id', 'note'] },
  request_extension: { label: '申请延期', fields: ['until', 'note'] },
  approve_extension: { label: '批准延期', fields: ['note'], primary: true },
  refuse_extension: { label: '驳回延期', fields: ['note'], noteRequired: true, danger: true },
  submit: { label: '整改完成，申请验收', fields: ['attachments', 'note'], primary: true },
  accept: { label: '验收通过（销号）', fields: ['attachments', 'note'], primary: true },
  reject: { label: '验收不通过', fields: ['attachments', 'note'], noteRequired: true, danger: true },
};

export const ALARM_EVENTS = { raise: '报警', escalate: '升级', clear: '解除', acknowledge: '确认' };
