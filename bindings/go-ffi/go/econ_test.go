package hcpcore

import (
	"errors"
	"math"
	"testing"
)

func refMarket() Market {
	return Market{BTCUSD: 100_000, Difficulty: 1e14, Height: 840_000, ElectricityUSDPerKWh: 0.05}
}

func TestWorkedHashprice(t *testing.T) {
	hp, err := HashpriceUSDPerPHDay(refMarket())
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(hp-62.86) > 0.005 {
		t.Fatalf("hashprice = %v, want 62.86", hp)
	}
}

func TestBadInputIsInvalidInput(t *testing.T) {
	for name, m := range map[string]Market{
		"nan price":       {BTCUSD: math.NaN(), Difficulty: 1e14, Height: 1},
		"zero difficulty": {BTCUSD: 1, Difficulty: 0, Height: 1},
		"negative height": {BTCUSD: 1, Difficulty: 1, Height: -1},
		"fee share 1":     {BTCUSD: 1, Difficulty: 1, Height: 1, FeeShare: Float64(1)},
	} {
		_, err := HashpriceUSDPerPHDay(m)
		if !errors.Is(err, ErrInvalidInput) {
			t.Errorf("%s: got %v, want ErrInvalidInput", name, err)
		}
		var he *Error
		if !errors.As(err, &he) || he.Kind() != KindInvalidInput {
			t.Errorf("%s: not an *Error of kind InvalidInput: %v", name, err)
		}
	}
	if _, err := GetModel("S9"); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("unknown model: got %v", err)
	}
}

func TestCatalogCloseIsIdempotent(t *testing.T) {
	c, err := NewCatalog(DeviceModel{Name: "X1", Kind: ASIC, PowerWatts: 3000, IdleWatts: 100, SleepWatts: 20, HashrateTHs: 300})
	if err != nil {
		t.Fatal(err)
	}
	m, err := c.Get("x1")
	if err != nil || m.Name != "X1" || m.JoulesPerTH() != 10 {
		t.Fatalf("got %+v, %v", m, err)
	}
	c.Close()
	c.Close()
	if _, err := c.Get("S21"); !errors.Is(err, ErrClosed) {
		t.Fatalf("after Close: %v", err)
	}
	if _, err := NewCatalogJSON("{"); !errors.Is(err, ErrInvalidInput) {
		t.Fatalf("malformed JSON: %v", err)
	}
}

func TestMinerDaily(t *testing.T) {
	d, err := MinerDailyFor(S21, refMarket(), DefaultTerms())
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(d.EnergyCostUSD-4.2) > 1e-9 || math.Abs(d.RevenueUSD-12.5729) > 1e-3 {
		t.Fatalf("%+v", d)
	}
	if S21.Name != "S21" {
		t.Fatalf("name %q", S21.Name)
	}
}
