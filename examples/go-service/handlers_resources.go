package main

// handlers_resources.go owns the resource endpoints: the devices the router holds, as the router
// sees them, filtered by kind, site and state.

import (
	"net/http"
	"strings"

	hcpcore "github.com/hcpcore/hcpcore/bindings/go-ffi/go"
)

// resourceView is a device as the API shows it: the router's registry view and its state —
// curtailed or drained (the router's status), else busy (holding work) or idle.
type resourceView struct {
	hcpcore.DeviceInfo
	State string `json:"state"`
}

func resourceFrom(d hcpcore.DeviceInfo) resourceView {
	state := d.Status
	if state == "available" {
		state = "idle"
		if d.Workloads > 0 {
			state = "busy"
		}
	}
	return resourceView{DeviceInfo: d, State: state}
}

var validKinds = map[string]bool{"gpu": true, "asic": true}
var validResourceStates = map[string]bool{"idle": true, "busy": true, "curtailed": true, "drained": true}

func (s *Service) listResources(w http.ResponseWriter, r *http.Request, c *Caller) error {
	q := r.URL.Query()
	kind, site, state := strings.ToLower(q.Get("kind")), q.Get("site"), strings.ToLower(q.Get("state"))
	if kind != "" && !validKinds[kind] {
		return badRequest("kind: must be gpu or asic, got %q", kind)
	}
	if state != "" && !validResourceStates[state] {
		return badRequest("state: must be idle, busy, curtailed or drained, got %q", state)
	}
	limit, err := intParam(r, "limit", 100, 1, 5000)
	if err != nil {
		return err
	}
	offset, err := intParam(r, "offset", 0, 0, len(s.devices))
	if err != nil {
		return err
	}
	matched := []resourceView{}
	for _, d := range s.devices {
		if kind != "" && d.Kind != kind {
			continue
		}
		info, err := s.router.Device(d.ID)
		if err != nil {
			return err
		}
		v := resourceFrom(info)
		if (site != "" && v.Site != site) || (state != "" && v.State != state) {
			continue
		}
		matched = append(matched, v)
	}
	page := matched[min(offset, len(matched)):min(offset+limit, len(matched))]
	writeJSON(w, http.StatusOK, map[string]any{"total": len(matched), "offset": offset, "limit": limit, "resources": page})
	return nil
}

func (s *Service) getResource(w http.ResponseWriter, r *http.Request, c *Caller) error {
	info, err := s.router.Device(r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, resourceFrom(info))
	return nil
}
