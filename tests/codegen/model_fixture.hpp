// A hand-built IDL model shared by the emitter and IDL tests: one object using a struct and an enum.
#pragma once

#include "model/idl.hpp"
#include "model/signature.hpp"

namespace roc::idl::test {

inline Document sample_document() {
  Document d;
  d.source = "motor.hpp";
  TypeDecl dir;
  dir.kind = TypeKind::enumeration;
  dir.name = "lab::Direction";
  dir.doc = "Which way to move.";
  dir.values = {{"forward", 0, ""}, {"backward", 1, "Towards home."}};
  TypeDecl move;
  move.kind = TypeKind::structure;
  move.name = "lab::Move";
  move.fields = {{"steps", "int32", "", "How far."}, {"direction", "lab::Direction", "", ""},
                 {"note", "optional<string>", "", ""}};
  d.types = {dir, move};
  Object o;
  o.name = "lab::Motor";
  o.doc = "A stepper motor.";
  Method go;
  go.name = "go";
  go.params = {{"move", "lab::Move", ""}, {"timeout", "duration<int64,ms>", ""}};
  go.returns = "array<int32>";
  go.doc = "Moves and returns the positions passed.";
  Method stop;
  stop.name = "stop";
  stop.cxx_name = "halt";
  Property speed;
  speed.name = "speed";
  speed.type = "double";
  speed.getter = "speed";
  speed.setter = "set_speed";
  Property model;
  model.name = "model";
  model.type = "string";
  model.readonly = true;
  model.member = "model";
  o.methods = {go, stop};
  o.properties = {speed, model};
  d.objects = {o};
  d.objects[0].signature = compute_signature(d.objects[0], d);
  return d;
}

}  // namespace roc::idl::test
