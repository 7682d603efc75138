// Runtime scopes: every store access, run, ledger, command and artifact belongs to exactly one
// runtime id. The root data plane (local mode, the bootstrap admin) uses ROOT_RUNTIME_ID; in
// hosted mode each user is mapped to a runtime id of their own (spec security §3).

export const ROOT_RUNTIME_ID = 'default';
