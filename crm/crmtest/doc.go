// Package crmtest holds in-memory and function-field fakes of crm's
// interfaces for unit tests of crm (package crm_test) and of its adapters
// (bot): no database, no Redis, no network.
//
// A function-field fake (SalesStore, SalesNotifier, EngagementStore,
// Outreach, ...) calls the field named after the method with an "Fn"
// suffix and panics when the test left it nil, so a test states every
// call it expects. LeadStore is a small in-memory store instead, because
// the dialogue needs a consistent one. Clock is a settable clock.
//
// Test code only: nothing outside _test.go files may import it.
package crmtest
