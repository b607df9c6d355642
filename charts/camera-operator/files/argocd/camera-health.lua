-- Argo CD health check for gb28181.io/Camera
-- (argocd-cm key: resource.customizations.health.gb28181.io_Camera).
--
-- Healthy     the device is registered and alive (condition Ready=True).
-- Degraded    the device cannot become Ready without a change by a human: its digest
--             authentication fails, another Camera claims its device ID, or its
--             credentials Secret or key is missing.
-- Suspended   spec.suspend is true and the operator has acted on it.
-- Progressing anything else: waiting for the first registration, for the operator to
--             observe the latest spec, for the shard named by the gb28181.io/shard
--             label to take a relabelled Camera over, or for an offline device to
--             come back.
--
-- Argo CD runs user scripts without Lua's string library, so only base Lua is used.

local hs = {
  status = "Progressing",
  message = "Waiting for the operator to report the Camera's status",
}

if obj.status == nil or next(obj.status) == nil then
  return hs
end

local generation = obj.metadata.generation
local observed = obj.status.observedGeneration
if generation ~= nil and (observed == nil or observed < generation) then
  hs.message = "Waiting for the operator to observe generation " .. generation
  return hs
end

-- The status is the serving shard's only when status.shard matches the label: after a
-- relabel it is the old shard's until the new one writes (and stays so if no operator
-- runs that shard).
local labels = obj.metadata.labels or {}
local wantShard = labels["gb28181.io/shard"] or ""
local servedBy = obj.status.shard or ""
if wantShard ~= servedBy then
  local function named(s)
    if s == "" then
      return "the unsharded operator"
    end
    return "shard " .. s
  end
  hs.message = "Waiting for " .. named(wantShard) .. " to serve the Camera (its status is from " .. named(servedBy) .. ")"
  return hs
end

local function condition(conditionType)
  if obj.status.conditions == nil then
    return nil
  end
  for _, c in ipairs(obj.status.conditions) do
    if c.type == conditionType then
      return c
    end
  end
  return nil
end

-- The condition's message when it has one, else the fallback.
local function explain(c, fallback)
  if c ~= nil and c.message ~= nil and c.message ~= "" then
    return c.message
  end
  return fallback
end

local ready = condition("Ready")
local registered = condition("Registered")
local credentials = condition("CredentialsResolved")
local state = obj.status.state

-- Failures that need a human come first: a Camera that is still Ready on an old
-- registration is about to fail when the device next refreshes it.
if credentials ~= nil and credentials.status == "False" then
  hs.status = "Degraded"
  hs.message = explain(credentials, "The credentials Secret or key is missing")
  return hs
end

local function failed(c, reason)
  return c ~= nil and c.status == "False" and c.reason == reason
end

if state == "Conflict" or failed(ready, "DuplicateDeviceID") or failed(registered, "DuplicateDeviceID") then
  hs.status = "Degraded"
  hs.message = explain(ready, "Another Camera claims the same device ID")
  return hs
end

if state == "AuthFailed" or failed(ready, "AuthenticationFailed") or failed(registered, "AuthenticationFailed") then
  hs.status = "Degraded"
  hs.message = explain(registered, "The device failed digest authentication: check its password")
  return hs
end

if state == "Suspended" then
  hs.status = "Suspended"
  hs.message = "Registrations are refused while spec.suspend is true"
  return hs
end

if ready ~= nil and ready.status == "True" then
  hs.status = "Healthy"
  hs.message = explain(ready, "The device is registered and alive")
  return hs
end

if ready ~= nil then
  hs.message = explain(ready, "Waiting for the device to register")
elseif state ~= nil then
  hs.message = "The Camera is " .. state
end
return hs
