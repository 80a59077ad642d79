package uring

import (
	"reflect"
	"strings"
	"testing"
)

// TestOpListAndHelpers checks that OpList is indexed by code, and that every helper named for an
// operation is a Ring method and every Prep method is named for some operation.
func TestOpListAndHelpers(t *testing.T) {
	for i, info := range OpList {
		if int(info.Op) != i {
			t.Errorf("OpList[%d] is %v", i, info.Op)
		}
		if info.Op.String() != info.Name || info.Name == "" || info.MinKernel == "" {
			t.Errorf("OpList[%d] = %+v", i, info)
		}
	}
	rt := reflect.TypeOf(&Ring{})
	named := map[string]bool{}
	for op, names := range opHelpers {
		for _, n := range names {
			if _, ok := rt.MethodByName(n); !ok {
				t.Errorf("%v names helper %s, which is not a Ring method", op, n)
			}
			named[n] = true
		}
	}
	for i := 0; i < rt.NumMethod(); i++ {
		m := rt.Method(i).Name
		if strings.HasPrefix(m, "Prep") && m != "PrepUnsafe" && !named[m] {
			t.Errorf("Ring.%s is not recorded with prepHelpers for its operation", m)
		}
	}
	if Op(200).String() != "OP_200" {
		t.Errorf("unknown op string %q", Op(200).String())
	}
}

func TestRegisterOpListAndHelpers(t *testing.T) {
	for i, info := range RegisterOpList {
		if int(info.Op) != i || info.Op.String() != info.Name {
			t.Errorf("RegisterOpList[%d] = %+v", i, info)
		}
	}
	rt := reflect.TypeOf(&Ring{})
	// Register opcodes used by package functions rather than Ring methods; naming the function
	// here makes the compiler check it exists.
	funcs := map[string]any{"SendMsgRing": SendMsgRing}
	for op, names := range registerHelpersByOp {
		for _, n := range names {
			if _, ok := rt.MethodByName(n); !ok && funcs[n] == nil {
				t.Errorf("%v names %s, which is not a Ring method or a known function", op, n)
			}
		}
	}
}
